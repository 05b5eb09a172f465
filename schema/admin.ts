import type { AdjustResult } from '../src/modules/ledger/service.js';
import { builder } from './builder.js';
import { MONEY_ERRORS } from './errors.js';
import { ModeEnum } from './merchant.js';

const AdjustDirection = builder.enumType('AdjustmentDirection', { values: ['credit', 'debit'] as const });

const AdjustBalanceInput = builder.inputType('AdjustBalanceInput', {
  fields: (t) => ({
    merchantId: t.string({ required: true }),
    mode: t.field({ type: ModeEnum, required: true }),
    userId: t.string({ required: true }),
    amount: t.field({ type: 'Decimal', required: true }),
    direction: t.field({ type: AdjustDirection, required: true }),
    reason: t.string({ required: true, description: 'Why; kept with the ledger transaction.' }),
  }),
});

const AdjustmentRef = builder.objectRef<AdjustResult>('Adjustment').implement({
  description: "An audited ops correction of a user's balance against the merchant's adjustments account.",
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeString('userId'),
    amount: t.field({ type: 'Decimal', resolve: (r) => r.amountMinor }),
    direction: t.field({ type: AdjustDirection, resolve: (r) => r.direction }),
    balance: t.field({ type: 'Decimal', resolve: (r) => r.balanceMinor }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    replayed: t.exposeBoolean('replayed'),
  }),
});

builder.mutationField('adjustBalance', (t) =>
  t.field({
    type: AdjustmentRef,
    description: 'Admin only: credit or debit a user, audited with the admin token subject and a reason.',
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: AdjustBalanceInput, required: true }),
      idempotencyKey: t.arg.string({ required: true }),
    },
    errors: { types: MONEY_ERRORS, directResult: true, union: { name: 'AdjustBalanceResult' } },
    resolve: async (_root, { input, idempotencyKey }, ctx) => {
      await ctx.services.merchants.getMerchant(input.merchantId);
      const actor = ctx.principal.kind === 'admin' ? `admin:${ctx.principal.subject}` : 'unknown';
      return ctx.services.ledger.adjust(
        { merchantId: input.merchantId, mode: input.mode },
        {
          userId: input.userId,
          amount: input.amount,
          direction: input.direction,
          reason: input.reason,
          actor,
        },
        idempotencyKey,
      );
    },
  }),
);
