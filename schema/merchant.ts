import { type Context, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import type { Mode } from '../src/lib/tenant.js';
import type { MerchantSettings } from '../src/modules/merchants/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';

export const ModeEnum = builder.enumType('Mode', {
  description: "Live money or test money. The two never see each other's data, like Stripe's modes.",
  values: enumValues<Mode>({
    live: 'Real chains and real money (keys `sk_live_…`).',
    test: 'Development chains; `simulateDeposit` pays test deposits (keys `sk_test_…`).',
  }),
});

const SettingsRef = builder.objectRef<MerchantSettings>('MerchantSettings').implement({
  description: 'How the merchant converts, charges and checks requests (set with the CLI).',
  fields: (t) => ({
    starsPerUsdt: t.field({
      type: 'Decimal',
      description: 'Stars credited per USDT deposited, and paid out per USDT withdrawn (before the fee).',
      resolve: (s) => s.starsPerUsdt,
    }),
    withdrawalFeePercent: t.field({
      type: 'Decimal',
      description: 'The withdrawal fee in percent of the Stars withdrawn, such as "6".',
      resolve: (s) => s.withdrawalFeePercent,
    }),
    requireTimestamp: t.exposeBoolean('requireTimestamp', {
      description: 'True when every request of every key must carry `X-Timestamp` (replay protection).',
    }),
    depositExpiryMinutes: t.exposeInt('depositExpiryMinutes', {
      description: 'Minutes a new deposit waits for payment before it expires.',
    }),
    lateDepositWatchDays: t.exposeInt('lateDepositWatchDays', {
      description:
        'Days an expired deposit address is still watched; late payments are credited and flagged.',
    }),
  }),
});

interface Viewer {
  id: string;
  name: string;
  mode: Mode;
  settings: MerchantSettings;
}

/** The calling key's merchant, or null for another merchant's id; other credentials may not read merchants. */
export async function loadMerchant(ctx: Context, id: string): Promise<Viewer | null> {
  if (ctx.principal.kind !== 'merchant') throw new ForbiddenError('This credential may not read merchants');
  const { merchantId, mode } = tenantOf(ctx);
  if (id !== merchantId) return null;
  const m = await ctx.services.merchants.getMerchant(merchantId);
  return { id: m.id, name: m.name, mode, settings: await ctx.services.merchants.settings(merchantId) };
}

const MerchantRef = builder.node(builder.objectRef<Viewer>('Merchant'), {
  description: 'The merchant the calling API key belongs to, seen in the key’s mode.',
  id: { resolve: (m) => m.id },
  loadOne: (id, ctx) => loadMerchant(ctx, id),
  fields: (t) => ({
    name: t.exposeString('name', { description: "The merchant's name, as created with the CLI." }),
    mode: t.field({
      type: ModeEnum,
      description: 'The mode of the calling key: everything this key reads and writes is in this mode.',
      resolve: (m) => m.mode,
    }),
    settings: t.field({
      type: SettingsRef,
      description: 'Conversion, fees, expiry and request checks.',
      resolve: (m) => m.settings,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: MerchantRef,
    description: 'The merchant of the calling API key (API keys only).',
    authScopes: { merchant: true },
    resolve: async (_root, _args, ctx) => (await loadMerchant(ctx, tenantOf(ctx).merchantId))!,
  }),
);
