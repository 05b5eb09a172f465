import type { NetworkConfig } from '../src/chains/registry.js';
import { type Context, tenantOf } from '../src/context.js';
import {
  ForbiddenError,
  IdempotencyError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import type { DepositView } from '../src/modules/deposits/index.js';
import { builder } from './builder.js';
import { progressFields } from './deposit-progress.js';
import { resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';

/** Deposits carry token amounts as exact decimals in the token's own units (USDT). */
export const DepositRef = builder.node(builder.objectRef<DepositView & { replayed?: boolean }>('Deposit'), {
  description:
    'A request to pay a token (USDT) to a unique address; what arrives is credited to the user in Stars.',
  id: { resolve: (d) => d.id },
  loadOne: (id, ctx) => loadDeposit(ctx, id),
  fields: (t) => ({
    merchantId: t.exposeID('merchantId', { description: 'The merchant (`mer_…`).' }),
    mode: t.field({ type: ModeEnum, description: 'LIVE or TEST.', resolve: (d) => d.mode }),
    userId: t.exposeID('userId', { description: 'The user who is credited.' }),
    network: t.exposeString('network', { description: 'TRC20, ERC20, BEP20 or POLYGON (as configured).' }),
    currency: t.exposeString('currency', { description: 'The token, USDT.' }),
    depositAddress: t.exposeString('depositAddress', {
      description: 'The address to pay, unique to this deposit.',
    }),
    amount: t.field({
      type: 'Decimal',
      description: 'The amount asked, in the token, such as "100".',
      resolve: (d) => d.amount,
    }),
    ...progressFields(t),
    credited: t.field({
      type: 'Decimal',
      description: 'Stars credited so far.',
      resolve: (d) => d.creditedStarsMinor,
    }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: 'The metadata given with it.',
      resolve: (d) => d.metadata,
    }),
    expiresAt: t.field({ type: 'DateTime', description: 'Pay before this.', resolve: (d) => d.expiresAt }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When it was created.',
      resolve: (d) => d.createdAt,
    }),
    confirmedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was credited; null until then.',
      resolve: (d) => d.confirmedAt,
    }),
    paymentUrl: t.exposeString('paymentUrl', {
      description: 'The hosted payment page for this deposit, with a token that can see only it.',
    }),
    tokenContract: t.string({
      nullable: true,
      description: "The token's contract on this network (for wallet links such as EIP-681).",
      resolve: (d, _a, ctx) => networkOf(ctx, d)?.token.contract ?? null,
    }),
    tokenDecimals: t.int({
      nullable: true,
      description: "The token's decimals: `amount` × 10^tokenDecimals is the amount in the token's units.",
      resolve: (d, _a, ctx) => networkOf(ctx, d)?.token.decimals ?? null,
    }),
    chainId: t.int({
      nullable: true,
      description: 'The EVM chain id when it is configured (null on TRON and on test networks without one).',
      resolve: (d, _a, ctx) => networkOf(ctx, d)?.chainId ?? null,
    }),
    replayed: t.boolean({
      description: 'True when this is the stored result of an earlier request with the same idempotency key.',
      resolve: (d) => d.replayed ?? false,
    }),
  }),
});

const CreateDepositInput = builder.inputType('CreateDepositInput', {
  description: 'A new deposit request.',
  fields: (t) => ({
    userId: t.id({ required: true, description: 'The user to credit; created on first use.' }),
    amount: t.field({
      type: 'Decimal',
      required: true,
      description: 'In the currency (USDT), up to its decimals.',
    }),
    currency: t.string({ required: true, description: 'The token: USDT.' }),
    network: t.string({ required: true, description: 'TRC20, ERC20, BEP20 or POLYGON (as configured).' }),
    metadata: t.field({ type: 'Metadata', required: false, description: 'Your references, kept with it.' }),
  }),
});

/** The network a deposit was made on, in its mode. */
function networkOf(ctx: Context, d: DepositView): NetworkConfig | null {
  return ctx.services.deposits.network(d.network, d.mode);
}

/** A merchant reads its deposits; a payment-page token only its own deposit. */
export function depositTenant(ctx: Context, id: string) {
  const p = ctx.principal;
  if (p.kind === 'deposit' && p.depositId !== id)
    throw new ForbiddenError('This token belongs to another deposit');
  if (p.kind !== 'merchant' && p.kind !== 'deposit')
    throw new ForbiddenError('This credential may not read deposits');
  return tenantOf(ctx);
}

/**
 * The same rule for `deposit(id:)`, `node(id:)` and `depositUpdated`; null when there is no such deposit.
 * Admins read any merchant's.
 */
async function loadDeposit(ctx: Context, id: string): Promise<DepositView | null> {
  if (ctx.principal.kind === 'admin') return ctx.services.admin.reads.deposit(id);
  try {
    return await ctx.services.deposits.get(depositTenant(ctx, id), id);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

builder.mutationField('createDeposit', (t) =>
  t.field({
    type: DepositRef,
    description:
      'A deposit request with a unique address; pay it before expiresAt (late payments are still credited). API keys only.',
    authScopes: { merchant: true },
    args: {
      input: t.arg({
        type: CreateDepositInput,
        required: true,
        description: 'Who, how much, which network.',
      }),
      idempotencyKey: t.arg.string({
        required: false,
        description: 'Retries with the same key make one deposit (1-255 printable ASCII characters).',
      }),
    },
    errors: {
      types: [ValidationError, UnsupportedNetworkError, IdempotencyError],
      directResult: true,
      union: resultUnion('CreateDepositResult', 'The deposit'),
    },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.deposits.create(tenantOf(ctx), input, idempotencyKey),
  }),
);

const SimulatedPaymentRef = builder
  .objectRef<{ txHash: string; amount: string }>('SimulatedPayment')
  .implement({
    description:
      'A test payment sent on the development chain; the scanner finds and credits it as any other.',
    fields: (f) => ({
      txHash: f.exposeString('txHash', {
        description: "The payment's transaction on the development chain.",
      }),
      amount: f.field({
        type: 'Decimal',
        description: 'What was paid, in the token.',
        resolve: (p) => p.amount,
      }),
    }),
  });

builder.mutationField('simulateDeposit', (t) =>
  t.field({
    type: SimulatedPaymentRef,
    description: 'Test mode only: pays the deposit with a real token transfer on the development chain.',
    authScopes: { merchant: true },
    args: {
      depositId: t.arg.id({ required: true, description: 'The deposit (`dep_…`).' }),
      amount: t.arg({
        type: 'Decimal',
        required: false,
        description:
          'How much to pay, in the token; default the amount asked (pay less or more to try flags).',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ForbiddenError],
      directResult: true,
      union: resultUnion('SimulateDepositResult', 'The payment sent'),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.deposits.simulate(tenantOf(ctx), args.depositId, args.amount ?? undefined),
  }),
);

builder.queryField('deposit', (t) =>
  t.field({
    type: DepositRef,
    nullable: true,
    description:
      'A deposit, by id: API keys read their own, a payment-page token only its deposit, admins any.',
    args: { id: t.arg.id({ required: true, description: 'The deposit (`dep_…`).' }) },
    resolve: (_root, args, ctx) => loadDeposit(ctx, args.id),
  }),
);
