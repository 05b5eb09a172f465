import { type Context, tenantOf } from '../src/context.js';
import {
  ForbiddenError,
  IdempotencyError,
  InsufficientFundsError,
  InvalidAddressError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import { topicKey, topicStream } from '../src/modules/events/topics.js';
import { viewFromStored, type WithdrawalView } from '../src/modules/withdrawals/view.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';

const PayoutStateEnum = builder.enumType('PayoutState', {
  description:
    "The payout worker's step: queued → signed (stored before sending) → broadcast → confirming → completed | failed.",
  values: ['queued', 'signed', 'broadcast', 'confirming', 'completed', 'failed'] as const,
});

const StatusEnum = builder.enumType('WithdrawalStatus', {
  values: ['pending_approval', 'approved', 'processing', 'completed', 'failed', 'rejected'] as const,
});

const AuditRef = builder
  .objectRef<{ action: string; actor: string; reason: string | null; created_at: Date }>(
    'WithdrawalAuditEntry',
  )
  .implement({
    fields: (t) => ({
      action: t.exposeString('action'),
      actor: t.exposeString('actor'),
      reason: t.exposeString('reason', { nullable: true }),
      at: t.field({ type: 'DateTime', resolve: (a) => a.created_at }),
    }),
  });

export const WithdrawalRef = builder
  .objectRef<WithdrawalView & { replayed?: boolean }>('Withdrawal')
  .implement({
    description:
      'A payout of Stars to a wallet: held at creation, then approved (or rejected and refunded) and sent.',
    fields: (t) => ({
      id: t.exposeID('id'),
      merchantId: t.string({ nullable: true, resolve: (w) => w.merchantId ?? null }),
      mode: t.string({ nullable: true, resolve: (w) => w.mode ?? null }),
      userId: t.exposeString('userId'),
      network: t.exposeString('network'),
      walletAddress: t.exposeString('walletAddress'),
      status: t.field({ type: StatusEnum, resolve: (w) => w.status }),
      amount: t.field({
        type: 'Decimal',
        description: 'Stars taken from the balance.',
        resolve: (w) => w.amountMinor,
      }),
      fee: t.field({
        type: 'Decimal',
        description: 'Stars kept as the withdrawal fee.',
        resolve: (w) => w.feeMinor,
      }),
      amountUsdt: t.exposeString('amountUsdt', { description: 'What the wallet receives.' }),
      networkFee: t.exposeString('networkFee', { description: 'Chain cost in USDT, paid by the platform.' }),
      txHash: t.exposeString('txHash', { nullable: true }),
      failureReason: t.exposeString('failureReason', { nullable: true }),
      createdAt: t.exposeString('createdAt'),
      payoutState: t.field({ type: PayoutStateEnum, nullable: true, resolve: (w) => w.payoutState ?? null }),
      confirmations: t.int({ resolve: (w) => w.confirmations ?? 0 }),
      waitingReason: t.string({
        nullable: true,
        description: 'Why an approved payout is not sent yet (for example the hot wallet is short).',
        resolve: (w) => w.waitingReason ?? null,
      }),
      completedAt: t.string({ nullable: true, resolve: (w) => w.completedAt ?? null }),
      replayed: t.boolean({ resolve: (w) => w.replayed ?? false }),
      audit: t.field({
        type: [AuditRef],
        resolve: (w, _a, ctx) => ctx.services.withdrawals.auditTrail(w.id),
      }),
    }),
  });

const CreateInput = builder.inputType('CreateWithdrawalInput', {
  fields: (t) => ({
    userId: t.string({ required: true }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Stars.' }),
    walletAddress: t.string({ required: true }),
    network: t.string({ required: true }),
  }),
});

/** Admins decide for any merchant; a merchant key only with the `withdrawals:approve` scope. */
async function decider(ctx: Context, id: string) {
  const p = ctx.principal;
  if (p.kind === 'admin')
    return { tenant: await ctx.services.withdrawals.tenantOf(id), actor: `admin:${p.subject}` };
  if (p.kind === 'merchant' && p.scopes.includes('withdrawals:approve')) {
    return { tenant: { merchantId: p.merchantId, mode: p.mode }, actor: `key:${p.keyId}` };
  }
  throw new ForbiddenError(
    'Approving withdrawals needs an admin token or a key with the withdrawals:approve scope',
  );
}

const DECISION_ERRORS = {
  types: [ValidationError, NotFoundError, ForbiddenError],
  directResult: true,
};

builder.mutationField('createWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    authScopes: { merchant: true },
    args: {
      input: t.arg({ type: CreateInput, required: true }),
      idempotencyKey: t.arg.string({ required: false }),
    },
    errors: {
      types: [
        ValidationError,
        NotFoundError,
        InsufficientFundsError,
        IdempotencyError,
        UnsupportedNetworkError,
        InvalidAddressError,
      ],
      directResult: true,
      union: { name: 'CreateWithdrawalResult' },
    },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.withdrawals.create(tenantOf(ctx), input, idempotencyKey),
  }),
);

builder.mutationField('approveWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { ...DECISION_ERRORS, union: { name: 'ApproveWithdrawalResult' } },
    resolve: async (_root, { id }, ctx) => {
      const d = await decider(ctx, String(id));
      return ctx.services.withdrawals.approve(d.tenant, String(id), d.actor);
    },
  }),
);

builder.mutationField('rejectWithdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    args: { id: t.arg.id({ required: true }), reason: t.arg.string({ required: true }) },
    errors: { ...DECISION_ERRORS, union: { name: 'RejectWithdrawalResult' } },
    resolve: async (_root, { id, reason }, ctx) => {
      const d = await decider(ctx, String(id));
      return ctx.services.withdrawals.reject(d.tenant, String(id), d.actor, reason);
    },
  }),
);

builder.queryField('withdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    nullable: true,
    description: "A merchant's own withdrawal; admins read any.",
    authScopes: { merchant: true, admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      try {
        const tenant =
          ctx.principal.kind === 'admin'
            ? await ctx.services.withdrawals.tenantOf(String(id))
            : tenantOf(ctx);
        return await ctx.services.withdrawals.get(tenant, String(id));
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
  }),
);

const Filter = builder.inputType('WithdrawalFilter', {
  fields: (t) => ({
    status: t.field({ type: StatusEnum, required: false }),
    userId: t.string({ required: false }),
    merchantId: t.string({ required: false, description: 'Admins only: one merchant (default: every one).' }),
    mode: t.string({ required: false, description: 'Admins only: live or test (default: both).' }),
  }),
});

builder.queryField('withdrawals', (t) =>
  t.connection(
    {
      type: WithdrawalRef,
      description:
        "A merchant's withdrawals, newest first; admins see every merchant's (filter by merchantId, mode).",
      authScopes: { merchant: true, admin: true },
      args: { filter: t.arg({ type: Filter, required: false }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        offsetConnection(args, (offset, limit) =>
          ctx.services.withdrawals.list(adminOrTenant(ctx, args.filter), {
            status: args.filter?.status ?? null,
            userId: args.filter?.userId ?? null,
            offset,
            limit,
          }),
        ),
    },
    {
      name: 'WithdrawalConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }) }),
    },
  ),
);

builder.subscriptionField('withdrawalUpdated', (t) =>
  t.field({
    type: WithdrawalRef,
    description:
      'Every step of a withdrawal: approved, rejected, signed, broadcast, each confirmation, completed or failed.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const id = String(args.id);
      const p = ctx.principal;
      let tenant: { merchantId: string; mode: 'live' | 'test' };
      if (p.kind === 'admin') tenant = await ctx.services.withdrawals.tenantOf(id);
      else if (p.kind === 'merchant') {
        tenant = tenantOf(ctx);
        await ctx.services.withdrawals.get(tenant, id);
      } else throw new ForbiddenError('This credential may not read withdrawals');
      return topicStream(
        ctx.services.pubsub,
        'withdrawal',
        topicKey(tenant.merchantId, tenant.mode, id),
      ) as never;
    },
    resolve: (m) => viewFromStored(m as Record<string, unknown>),
  }),
);

/** Merchants see their own; admins every merchant's, or the merchant and mode the filter names. */
function adminOrTenant(
  ctx: Context,
  filter: { merchantId?: string | null; mode?: string | null } | null | undefined,
): { merchantId: string | null; mode: 'live' | 'test' | null } {
  if (ctx.principal.kind !== 'admin') return tenantOf(ctx);
  const mode = filter?.mode ?? null;
  if (mode !== null && mode !== 'live' && mode !== 'test')
    throw new ValidationError('mode must be live or test', 'mode');
  return { merchantId: filter?.merchantId ?? null, mode };
}
