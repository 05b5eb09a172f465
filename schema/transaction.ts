import { tenantOf } from '../src/context.js';
import type { HistoryRow } from '../src/modules/ledger/history.js';
import { TX_TYPES } from '../src/modules/ledger/types.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';

export const TransactionTypeEnum = builder.enumType('TransactionType', { values: TX_TYPES });
export const DirectionEnum = builder.enumType('Direction', { values: ['credit', 'debit'] as const });

/**
 * A movement of Stars. In a user's history `amount` is that user's side (negative for debits) and the
 * balances are theirs; in the merchant-wide list they are the receiving user's (or paying user's, when the
 * money went to the merchant's books).
 */
export const TransactionRef = builder.objectRef<HistoryRow>('Transaction').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.field({ type: TransactionTypeEnum, resolve: (r) => r.type }),
    amount: t.field({ type: 'Decimal', resolve: (r) => r.amountMinor }),
    direction: t.field({ type: DirectionEnum, resolve: (r) => r.direction }),
    balanceBefore: t.field({ type: 'Decimal', nullable: true, resolve: (r) => r.balanceBeforeMinor }),
    balanceAfter: t.field({ type: 'Decimal', nullable: true, resolve: (r) => r.balanceAfterMinor }),
    userId: t.exposeString('userId', { nullable: true }),
    fromUserId: t.exposeString('fromUserId', { nullable: true }),
    toUserId: t.exposeString('toUserId', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    metadata: t.field({ type: 'Metadata', nullable: true, resolve: (r) => r.metadata }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
  }),
});

export const TransactionFilter = builder.inputType('TransactionFilter', {
  fields: (t) => ({
    type: t.field({ type: TransactionTypeEnum, required: false }),
    from: t.field({ type: 'DateTime', required: false, description: 'Inclusive lower bound on createdAt.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive upper bound on createdAt.' }),
  }),
});

builder.queryField('transactions', (t) =>
  t.connection(
    {
      type: TransactionRef,
      description: "The merchant's transactions in this mode, newest first.",
      authScopes: { merchant: true },
      args: { filter: t.arg({ type: TransactionFilter, required: false }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        offsetConnection(args, (offset, limit) =>
          ctx.services.ledger.transactions(tenantOf(ctx), { ...args.filter, offset, limit }),
        ),
    },
    {
      name: 'TransactionConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }) }),
    },
  ),
);
