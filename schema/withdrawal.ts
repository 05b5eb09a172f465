import { adminOrTenant, type Context, tenantOf } from '../src/context.js';
import { ForbiddenError, NotFoundError } from '../src/lib/errors.js';
import type { Mode } from '../src/lib/tenant.js';
import { topicKey, topicStream } from '../src/modules/events/index.js';
import { type PayoutState, viewFromStored, type WithdrawalView } from '../src/modules/withdrawals/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, listScope, pageComplexity, pageTypes } from './pagination.js';

const PayoutStateEnum = builder.enumType('PayoutState', {
  description: "The payout worker's step once a withdrawal is approved.",
  values: enumValues<PayoutState>({
    queued: 'Waiting for the payout worker (or for the hot wallet to have the funds).',
    signed: 'Signed and stored, not yet sent (a restart sends the same transaction).',
    broadcast: 'Sent to the network, not yet in a block.',
    confirming: 'In a block, gathering confirmations.',
    completed: 'Final on chain.',
    failed: 'Failed on chain; the Stars were refunded.',
  }),
});

export const WithdrawalStatusEnum = builder.enumType('WithdrawalStatus', {
  description: 'Where a withdrawal stands.',
  values: enumValues<WithdrawalView['status']>({
    pending_approval: 'Created and held; waits for an admin or a key with the withdrawals:approve scope.',
    approved: 'Approved; the payout worker will send it.',
    processing: 'Being sent (see payoutState).',
    completed: 'Paid: the wallet has the USDT.',
    failed: 'The payout failed; the Stars were refunded.',
    rejected: 'Rejected by an approver; the Stars were refunded.',
  }),
});

const AuditRef = builder
  .objectRef<{ action: string; actor: string; reason: string | null; created_at: Date }>(
    'WithdrawalAuditEntry',
  )
  .implement({
    description: 'One decision or step in the life of a withdrawal.',
    fields: (t) => ({
      action: t.exposeString('action', { description: 'What happened, such as approved, rejected, signed.' }),
      actor: t.exposeString('actor', {
        description: 'Who: `admin:<subject>`, `key:<key id>`, or the payout worker.',
      }),
      reason: t.exposeString('reason', { nullable: true, description: 'The reason given, if any.' }),
      at: t.field({ type: 'DateTime', description: 'When.', resolve: (a) => a.created_at }),
    }),
  });

/** A merchant reads its own; admins any. Null when there is no such withdrawal (for this merchant). */
export async function loadWithdrawal(ctx: Context, id: string): Promise<WithdrawalView | null> {
  const p = ctx.principal;
  if (p.kind !== 'merchant' && p.kind !== 'admin') {
    throw new ForbiddenError('This credential may not read withdrawals');
  }
  try {
    const tenant = p.kind === 'admin' ? await ctx.services.withdrawals.tenantOf(id) : tenantOf(ctx);
    return await ctx.services.withdrawals.get(tenant, id);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

export const WithdrawalRef = builder.node(
  builder.objectRef<WithdrawalView & { replayed?: boolean }>('Withdrawal'),
  {
    description:
      'A payout of Stars to a wallet: held at creation, then approved (or rejected and refunded) and sent.',
    id: { resolve: (w) => w.id },
    loadOne: (id, ctx) => loadWithdrawal(ctx, id),
    fields: (t) => ({
      merchantId: t.field({
        type: 'ID',
        nullable: true,
        description: "The merchant (`mer_…`); shown to admins, who see every merchant's.",
        resolve: (w) => w.merchantId ?? null,
      }),
      mode: t.field({
        type: ModeEnum,
        nullable: true,
        description: 'The mode; shown to admins.',
        resolve: (w) => w.mode ?? null,
      }),
      userId: t.exposeID('userId', { description: 'The user whose Stars are paid out.' }),
      network: t.exposeString('network', { description: 'TRC20, ERC20, BEP20 or POLYGON (as configured).' }),
      walletAddress: t.exposeString('walletAddress', { description: 'Where the USDT goes.' }),
      status: t.field({
        type: WithdrawalStatusEnum,
        description: 'Where it stands.',
        resolve: (w) => w.status,
      }),
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
      amountUsdt: t.field({
        type: 'Decimal',
        description: 'What the wallet receives, in USDT: (amount − fee) ÷ starsPerUsdt.',
        resolve: (w) => w.amountUsdt,
      }),
      networkFee: t.field({
        type: 'Decimal',
        description: 'Chain cost in USDT, paid by the platform.',
        resolve: (w) => w.networkFee,
      }),
      txHash: t.exposeString('txHash', {
        nullable: true,
        description: 'The payout transaction, once signed.',
      }),
      failureReason: t.exposeString('failureReason', {
        nullable: true,
        description: 'Why it failed or was rejected.',
      }),
      createdAt: t.field({
        type: 'DateTime',
        description: 'When it was created.',
        resolve: (w) => w.createdAt,
      }),
      payoutState: t.field({
        type: PayoutStateEnum,
        nullable: true,
        description: "The payout worker's step; null before approval.",
        resolve: (w) => w.payoutState ?? null,
      }),
      confirmations: t.int({
        description: 'Confirmations of the payout transaction.',
        resolve: (w) => w.confirmations ?? 0,
      }),
      waitingReason: t.string({
        nullable: true,
        description: 'Why an approved payout is not sent yet (for example the hot wallet is short).',
        resolve: (w) => w.waitingReason ?? null,
      }),
      completedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When it was paid; null until then.',
        resolve: (w) => w.completedAt ?? null,
      }),
      replayed: t.boolean({
        description:
          'True when this is the stored result of an earlier request with the same idempotency key.',
        resolve: (w) => w.replayed ?? false,
      }),
      audit: t.field({
        type: [AuditRef],
        description: 'Every decision and step, oldest first.',
        resolve: (w, _a, ctx) => ctx.services.withdrawals.auditTrail(w.id),
      }),
    }),
  },
);

builder.queryField('withdrawal', (t) =>
  t.field({
    type: WithdrawalRef,
    nullable: true,
    description: "A merchant's own withdrawal; admins read any.",
    authScopes: { merchant: true, admin: true },
    args: { id: t.arg.id({ required: true, description: 'The withdrawal (`pay_…`).' }) },
    resolve: (_root, { id }, ctx) => loadWithdrawal(ctx, id),
  }),
);

const Filter = builder.inputType('WithdrawalFilter', {
  description: 'Narrows the list of withdrawals; every field is optional.',
  fields: (t) => ({
    status: t.field({ type: WithdrawalStatusEnum, required: false, description: 'Only this status.' }),
    userId: t.id({ required: false, description: "Only this user's." }),
    merchantId: t.id({ required: false, description: 'Admins only: one merchant (default: every one).' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'Admins only: one mode (default: both).' }),
  }),
});

builder.queryField('withdrawals', (t) =>
  t.connection(
    {
      type: WithdrawalRef,
      description:
        "A merchant's withdrawals, newest first; admins see every merchant's (filter by merchantId, mode).",
      authScopes: { merchant: true, admin: true },
      args: {
        filter: t.arg({ type: Filter, required: false, description: 'Status, user, merchant, mode.' }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'withdrawals', scope: listScope(ctx) }, (page) =>
          ctx.services.withdrawals.list(adminOrTenant(ctx, args.filter), {
            status: args.filter?.status ?? null,
            userId: args.filter?.userId ?? null,
            ...page,
          }),
        ),
    },
    ...pageTypes('WithdrawalConnection', 'withdrawals'),
  ),
);

builder.subscriptionField('withdrawalUpdated', (t) =>
  t.field({
    type: WithdrawalRef,
    description:
      'Every step of a withdrawal: approved, rejected, signed, broadcast, each confirmation, completed or failed.',
    args: { id: t.arg.id({ required: true, description: 'The withdrawal (`pay_…`).' }) },
    subscribe: async (_root, args, ctx) => {
      const id = String(args.id);
      const p = ctx.principal;
      let tenant: { merchantId: string; mode: Mode };
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
