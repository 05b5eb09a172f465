import { canReadUser, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import type { BalanceRow } from '../src/modules/ledger/history.js';
import { parseUserId } from '../src/modules/ledger/validation.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';
import { TransactionFilter, TransactionRef } from './transaction.js';

/** An end user of the merchant, known by the merchant's own id. */
export const UserRef = builder
  .objectRef<BalanceRow & { merchantId: string; mode: 'live' | 'test' }>('User')
  .implement({
    fields: (t) => ({
      id: t.exposeID('userId'),
      balance: t.field({ type: 'Decimal', description: 'Balance in Stars.', resolve: (u) => u.balanceMinor }),
      currency: t.string({ resolve: () => 'Stars' }),
      updatedAt: t.field({ type: 'DateTime', resolve: (u) => u.updatedAt }),
      transactions: t.connection(
        {
          type: TransactionRef,
          description: "This user's side of every movement, newest first.",
          args: { filter: t.arg({ type: TransactionFilter, required: false }) },
          complexity: (args) => pageComplexity(args),
          resolve: (u, args, ctx) =>
            offsetConnection(args, (offset, limit) =>
              ctx.services.ledger.history.userHistory(u.merchantId, u.mode, u.userId, {
                type: args.filter?.type ?? null,
                from: args.filter?.from ?? null,
                to: args.filter?.to ?? null,
                offset,
                limit,
              }),
            ),
        },
        {
          name: 'UserTransactionConnection',
          fields: (c) => ({
            totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }),
          }),
        },
      ),
    }),
  });

builder.queryField('user', (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    description: 'A user of the calling merchant and mode (a user session may read only itself).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = parseUserId(String(args.id), 'userId');
      if (!canReadUser(ctx, id)) throw new ForbiddenError('This credential may not read this user');
      const tenant = tenantOf(ctx);
      const row = await ctx.services.ledger.history.balance(tenant.merchantId, tenant.mode, id);
      return row ? { ...row, ...tenant } : null;
    },
  }),
);
