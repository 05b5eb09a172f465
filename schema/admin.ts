import type { AdjustResult } from '../src/modules/ledger/index.js';
import { builder } from './builder.js';
import { MONEY_ERRORS, resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';
import { DirectionEnum } from './transaction.js';

const AdjustBalanceInput = builder.inputType('AdjustBalanceInput', {
  description: "An operator's correction of one user's balance.",
  fields: (t) => ({
    merchantId: t.id({ required: true, description: 'The merchant (`mer_…`).' }),
    mode: t.field({ type: ModeEnum, required: true, description: 'The mode of the user.' }),
    userId: t.id({ required: true, description: "The merchant's id for the user; created on a credit." }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Stars, at most 2 decimal places.' }),
    direction: t.field({
      type: DirectionEnum,
      required: true,
      description: 'CREDIT gives the user Stars from the adjustments account; DEBIT takes them back.',
    }),
    reason: t.string({ required: true, description: 'Why; kept with the ledger transaction.' }),
  }),
});

const AdjustmentRef = builder.objectRef<AdjustResult>('Adjustment').implement({
  description: "An audited ops correction of a user's balance against the merchant's adjustments account.",
  fields: (t) => ({
    transactionId: t.exposeID('id', { description: 'The ledger transaction (`tx_…`).' }),
    userId: t.exposeID('userId', { description: 'The user whose balance changed.' }),
    amount: t.field({ type: 'Decimal', description: 'Stars moved.', resolve: (r) => r.amountMinor }),
    direction: t.field({ type: DirectionEnum, description: 'For the user.', resolve: (r) => r.direction }),
    balance: t.field({
      type: 'Decimal',
      description: "The user's balance right after.",
      resolve: (r) => r.balanceMinor,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (r) => r.createdAt }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this is the stored result of an earlier request with the same idempotency key.',
    }),
  }),
});

builder.mutationField('adjustBalance', (t) =>
  t.field({
    type: AdjustmentRef,
    description: 'Admin only: credit or debit a user, audited with the admin token subject and a reason.',
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: AdjustBalanceInput, required: true, description: 'Whom, how much, and why.' }),
      idempotencyKey: t.arg.string({
        required: true,
        description: 'Retries with the same key make one adjustment (1-255 printable ASCII characters).',
      }),
    },
    errors: {
      types: MONEY_ERRORS,
      directResult: true,
      union: resultUnion('AdjustBalanceResult', 'The adjustment'),
    },
    resolve: async (_root, { input, idempotencyKey }, ctx) => {
      await ctx.services.merchants.assertExists(input.merchantId);
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
