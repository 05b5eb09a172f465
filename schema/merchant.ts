import { tenantOf } from '../src/context.js';
import type { MerchantSettings } from '../src/modules/merchants/settings.js';
import { builder } from './builder.js';

const ModeEnum = builder.enumType('Mode', { values: ['live', 'test'] as const });

const SettingsRef = builder.objectRef<MerchantSettings>('MerchantSettings').implement({
  fields: (t) => ({
    starsPerUsdt: t.exposeString('starsPerUsdt'),
    withdrawalFeePercent: t.exposeString('withdrawalFeePercent'),
    requireTimestamp: t.exposeBoolean('requireTimestamp'),
    depositExpiryMinutes: t.exposeInt('depositExpiryMinutes'),
    lateDepositWatchDays: t.exposeInt('lateDepositWatchDays'),
  }),
});

interface Viewer {
  id: string;
  name: string;
  mode: 'live' | 'test';
  settings: MerchantSettings;
}

const MerchantRef = builder.objectRef<Viewer>('Merchant').implement({
  description: 'The merchant the calling API key belongs to, in the key’s mode.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    mode: t.field({ type: ModeEnum, resolve: (m) => m.mode }),
    settings: t.field({ type: SettingsRef, resolve: (m) => m.settings }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: MerchantRef,
    authScopes: { merchant: true },
    resolve: async (_root, _args, ctx) => {
      const { merchantId, mode } = tenantOf(ctx);
      const m = await ctx.services.merchants.getMerchant(merchantId);
      return { id: m.id, name: m.name, mode, settings: await ctx.services.merchants.settings(merchantId) };
    },
  }),
);

export { ModeEnum };
