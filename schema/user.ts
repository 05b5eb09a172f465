import { type Context, canReadUser, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import { parseUserId } from '../src/lib/ids.js';
import type { Mode } from '../src/lib/tenant.js';
import type { BalanceRow } from '../src/modules/ledger/index.js';
import { builder } from './builder.js';
import { keysetConnection, pageComplexity, pageTypes } from './pagination.js';
import { TransactionFilter, UserTransactionRef } from './transaction.js';

type UserShape = BalanceRow & { merchantId: string; mode: Mode };

/** A merchant reads any of its users; a user session only itself. Null for a user never seen. */
export async function loadUser(ctx: Context, userId: string, param = 'userId'): Promise<UserShape | null> {
  const id = parseUserId(userId, param);
  if (!canReadUser(ctx, id)) throw new ForbiddenError('This credential may not read this user');
  const tenant = tenantOf(ctx);
  const row = await ctx.services.ledger.history.balance(tenant.merchantId, tenant.mode, id);
  return row ? { ...row, ...tenant } : null;
}

/** An end user of the merchant, known by the merchant's own id. */
export const UserRef = builder.node(builder.objectRef<UserShape>('User'), {
  description:
    "An end user of the merchant, known by the merchant's own id (`userId`). Users appear on first use: a deposit, or receiving a transfer.",
  id: { resolve: (u) => u.userId },
  loadOne: (userId, ctx) => loadUser(ctx, userId, 'id'),
  fields: (t) => ({
    userId: t.exposeID('userId', {
      description: "The merchant's own id for this user, such as `user_8a2f`.",
    }),
    balance: t.field({ type: 'Decimal', description: 'Balance in Stars.', resolve: (u) => u.balanceMinor }),
    currency: t.string({ description: 'Always `Stars`.', resolve: () => 'Stars' }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the balance last changed.',
      resolve: (u) => u.updatedAt,
    }),
    transactions: t.connection(
      {
        type: UserTransactionRef,
        description: "This user's side of every movement, newest first.",
        args: {
          filter: t.arg({ type: TransactionFilter, required: false, description: 'Type and time bounds.' }),
        },
        complexity: (args) => pageComplexity(args),
        resolve: (u, args, ctx) =>
          keysetConnection(
            ctx,
            args,
            { list: 'user.transactions', scope: [u.merchantId, u.mode, u.userId] },
            (page) =>
              ctx.services.ledger.history
                .userHistory(u.merchantId, u.mode, u.userId, {
                  type: args.filter?.type ?? null,
                  from: args.filter?.from ?? null,
                  to: args.filter?.to ?? null,
                  ...page,
                })
                .then((r) => ({ ...r, rows: r.rows.map((row) => ({ ...row, userId: u.userId })) })),
          ),
      },
      ...pageTypes('UserTransactionConnection', 'history rows'),
    ),
  }),
});

builder.queryField('user', (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    description:
      'A user of the calling merchant and mode, by your id for them; null for a user never seen. A user session may read only its own user.',
    args: { userId: t.arg.id({ required: true, description: 'Your id for the user, such as `user_8a2f`.' }) },
    resolve: (_root, args, ctx) => loadUser(ctx, String(args.userId)),
  }),
);
