import type { NetworkConfig } from '../src/chains/registry.js';
import { type Context, tenantOf } from '../src/context.js';
import {
  ForbiddenError,
  IdempotencyError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import { DEPOSIT_STATUSES } from '../src/modules/deposits/service.js';
import type { DepositView } from '../src/modules/deposits/view.js';
import { topicKey, topicStream } from '../src/modules/events/topics.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';

const DepositStatusEnum = builder.enumType('DepositStatus', { values: DEPOSIT_STATUSES });

/** Deposits carry token amounts as exact decimal strings in the token's own units (USDT). */
export const DepositRef = builder.objectRef<DepositView & { replayed?: boolean }>('Deposit').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeString('userId'),
    network: t.exposeString('network'),
    currency: t.exposeString('currency'),
    depositAddress: t.exposeString('depositAddress'),
    amount: t.exposeString('amount', { description: 'Expected amount, e.g. "100".' }),
    amountReceived: t.exposeString('amountReceived', { description: 'Everything credited so far.' }),
    credited: t.field({
      type: 'Decimal',
      description: 'Stars credited so far.',
      resolve: (d) => d.creditedStarsMinor,
    }),
    status: t.field({ type: DepositStatusEnum, resolve: (d) => d.status }),
    confirmations: t.exposeInt('confirmations'),
    requiredConfirmations: t.exposeInt('requiredConfirmations'),
    txHash: t.exposeString('txHash', { nullable: true }),
    flags: t.exposeStringList('flags', { description: 'late, underpaid, overpaid, multiple.' }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    metadata: t.field({ type: 'Metadata', nullable: true, resolve: (d) => d.metadata }),
    expiresAt: t.exposeString('expiresAt'),
    createdAt: t.exposeString('createdAt'),
    confirmedAt: t.exposeString('confirmedAt', { nullable: true }),
    paymentUrl: t.exposeString('paymentUrl', { description: 'The hosted payment page for this deposit.' }),
    tokenContract: t.string({
      nullable: true,
      description: "The token's contract on this network (for wallet links such as EIP-681).",
      resolve: (d, _a, ctx) => networkOf(ctx, d.network)?.token.contract ?? null,
    }),
    tokenDecimals: t.int({
      nullable: true,
      description: "The token's decimals: `amount` × 10^tokenDecimals is the amount in the token's units.",
      resolve: (d, _a, ctx) => networkOf(ctx, d.network)?.token.decimals ?? null,
    }),
    chainId: t.int({
      nullable: true,
      description: 'The EVM chain id when it is configured (null on TRON and on test networks without one).',
      resolve: (d, _a, ctx) => networkOf(ctx, d.network)?.chainId ?? null,
    }),
    replayed: t.boolean({ resolve: (d) => d.replayed ?? false }),
  }),
});

const CreateDepositInput = builder.inputType('CreateDepositInput', {
  fields: (t) => ({
    userId: t.string({ required: true }),
    amount: t.field({
      type: 'Decimal',
      required: true,
      description: 'In the currency (USDT), up to its decimals.',
    }),
    currency: t.string({ required: true, description: 'USDT' }),
    network: t.string({ required: true, description: 'TRC20, ERC20 or BEP20' }),
    metadata: t.field({ type: 'Metadata', required: false }),
  }),
});

const DepositFilter = builder.inputType('DepositFilter', {
  fields: (t) => ({
    userId: t.string({ required: false }),
    status: t.field({ type: DepositStatusEnum, required: false }),
    network: t.string({ required: false }),
  }),
});

/** The network a deposit was made on, in the caller's mode. */
function networkOf(ctx: Context, network: string): NetworkConfig | null {
  const p = ctx.principal;
  if (p.kind !== 'merchant' && p.kind !== 'deposit') return null;
  return ctx.services.deposits.network(network, p.mode);
}

/** A merchant reads its deposits; a payment-page token only its own deposit. */
function depositTenant(ctx: Context, id: string) {
  const p = ctx.principal;
  if (p.kind === 'deposit' && p.depositId !== id)
    throw new ForbiddenError('This token belongs to another deposit');
  if (p.kind !== 'merchant' && p.kind !== 'deposit')
    throw new ForbiddenError('This credential may not read deposits');
  return tenantOf(ctx);
}

builder.mutationField('createDeposit', (t) =>
  t.field({
    type: DepositRef,
    description:
      'A deposit request with a unique address; pay it before expiresAt (late payments are still credited).',
    authScopes: { merchant: true },
    args: {
      input: t.arg({ type: CreateDepositInput, required: true }),
      idempotencyKey: t.arg.string({ required: false }),
    },
    errors: {
      types: [ValidationError, UnsupportedNetworkError, IdempotencyError],
      directResult: true,
      union: { name: 'CreateDepositResult' },
    },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.deposits.create(tenantOf(ctx), input, idempotencyKey),
  }),
);

builder.mutationField('simulateDeposit', (t) =>
  t.field({
    type: builder.objectRef<{ txHash: string; amount: string }>('SimulatedPayment').implement({
      fields: (f) => ({ txHash: f.exposeString('txHash'), amountMinor: f.exposeString('amount') }),
    }),
    description: 'Test mode only: pays the deposit with a real token transfer on the development chain.',
    authScopes: { merchant: true },
    args: { depositId: t.arg.id({ required: true }), amount: t.arg({ type: 'Decimal', required: false }) },
    errors: {
      types: [ValidationError, NotFoundError, ForbiddenError],
      directResult: true,
      union: { name: 'SimulateDepositResult' },
    },
    resolve: (_root, args, ctx) =>
      ctx.services.deposits.simulate(tenantOf(ctx), String(args.depositId), args.amount ?? undefined),
  }),
);

builder.queryField('deposit', (t) =>
  t.field({
    type: DepositRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      try {
        return await ctx.services.deposits.get(depositTenant(ctx, id), id);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
  }),
);

builder.queryField('deposits', (t) =>
  t.connection(
    {
      type: DepositRef,
      authScopes: { merchant: true },
      args: { filter: t.arg({ type: DepositFilter, required: false }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        offsetConnection(args, (offset, limit) =>
          ctx.services.deposits.list(tenantOf(ctx), {
            userId: args.filter?.userId ?? null,
            status: args.filter?.status ?? null,
            network: args.filter?.network ?? null,
            offset,
            limit,
          }),
        ),
    },
    {
      name: 'DepositConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }) }),
    },
  ),
);

const DepositUpdateRef = builder
  .objectRef<{
    id: string;
    status: DepositView['status'];
    confirmations: number;
    requiredConfirmations: number;
    amountReceived: string;
    txHash: string | null;
    flags: string[];
    failureReason: string | null;
  }>('DepositUpdate')
  .implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      status: t.field({ type: DepositStatusEnum, resolve: (d) => d.status }),
      confirmations: t.exposeInt('confirmations'),
      requiredConfirmations: t.exposeInt('requiredConfirmations'),
      amountReceived: t.exposeString('amountReceived'),
      txHash: t.exposeString('txHash', { nullable: true }),
      flags: t.exposeStringList('flags'),
      failureReason: t.exposeString('failureReason', { nullable: true }),
    }),
  });

builder.subscriptionField('depositUpdated', (t) =>
  t.field({
    type: DepositUpdateRef,
    description: 'Every change of a deposit: seen on chain, each new confirmation, credited, expired.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const id = String(args.id);
      const { merchantId, mode } = depositTenant(ctx, id);
      return topicStream(ctx.services.pubsub, 'deposit', topicKey(merchantId, mode, id)) as never;
    },
    resolve: (m) => m as never,
  }),
);
