import { type Context, canReadUser, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import { parseUserId } from '../src/lib/ids.js';
import type { HistoryRow, TxType } from '../src/modules/ledger/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { parseUserTransactionKey, userTransactionKey } from './global-id.js';
import { keysetConnection, listScope, pageComplexity, pageTypes } from './pagination.js';

export const TransactionTypeEnum = builder.enumType('TransactionType', {
  description: 'What moved Stars.',
  values: enumValues<TxType>({
    deposit: 'A confirmed crypto deposit credited to the user.',
    withdrawal: 'Stars taken from the user for a withdrawal (held until it is paid or refunded).',
    transfer: 'A transfer between two users (donations, purchases).',
    refund: 'Stars given back, such as a rejected or failed withdrawal.',
    fee: 'A fee kept by the merchant.',
    adjustment: 'An audited correction by an operator (`adjustBalance`, the CLI).',
  }),
});

export const DirectionEnum = builder.enumType('Direction', {
  description: 'Whether Stars came into an account or left it.',
  values: enumValues<'credit' | 'debit'>({
    credit: 'Stars came in (the balance went up).',
    debit: 'Stars left (the balance went down).',
  }),
});

type UserRow = HistoryRow & { userId: string };

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export const TransactionRef = builder.node(builder.objectRef<HistoryRow>('Transaction'), {
  description:
    "A movement of Stars in the merchant's ledger. Its `amount`, `direction` and balances are one user's side: the user the Stars went to, or the paying user when they went to the merchant's books (`userId` names which).",
  id: { resolve: (r) => r.id },
  loadOne: (id, ctx) => loadTransaction(ctx, id),
  fields: (t) => ({
    ...sharedFields(t, "`userId`'s"),
    balanceBefore: t.field({
      type: 'Decimal',
      nullable: true,
      description: "`userId`'s balance right before.",
      resolve: (r) => r.balanceBeforeMinor,
    }),
    balanceAfter: t.field({
      type: 'Decimal',
      nullable: true,
      description: "`userId`'s balance right after.",
      resolve: (r) => r.balanceAfterMinor,
    }),
    userId: t.exposeID('userId', { nullable: true, description: 'The user whose side this row shows.' }),
  }),
});

export const UserTransactionRef = builder.node(builder.objectRef<UserRow>('UserTransaction'), {
  description: "One user's side of a movement of Stars: a row of that user's history.",
  id: { resolve: (r) => userTransactionKey(r.id, r.userId) },
  loadOne: (key, ctx) => loadUserTransaction(ctx, key),
  fields: (t) => ({
    transactionId: t.exposeID('id', {
      description: 'The ledger transaction (`tx_…`), the same for both users.',
    }),
    userId: t.exposeID('userId', { description: 'The user whose side this is.' }),
    ...sharedFields(t, "this user's"),
    balanceBefore: t.field({
      type: 'Decimal',
      description: "This user's balance right before.",
      resolve: (r) => r.balanceBeforeMinor ?? 0n,
    }),
    balanceAfter: t.field({
      type: 'Decimal',
      description: "This user's balance right after.",
      resolve: (r) => r.balanceAfterMinor ?? 0n,
    }),
  }),
});

/** The fields a merchant-wide row and a user's row share; `whose` names the side the amount is. */
function sharedFields<P extends HistoryRow>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  whose: string,
) {
  return {
    type: t.field({
      type: TransactionTypeEnum,
      description: 'What moved the Stars.',
      resolve: (r: P) => r.type,
    }),
    amount: t.field({
      type: 'Decimal',
      description: `Stars, as ${whose} side: negative when that user paid.`,
      resolve: (r: P) => r.amountMinor,
    }),
    direction: t.field({
      type: DirectionEnum,
      description: `For ${whose} balance.`,
      resolve: (r: P) => r.direction,
    }),
    fromUserId: t.field({
      type: 'ID',
      nullable: true,
      description:
        "The paying user; null when the Stars came from the merchant's books (a deposit, an adjustment).",
      resolve: (r: P) => r.fromUserId,
    }),
    toUserId: t.field({
      type: 'ID',
      nullable: true,
      description:
        "The receiving user; null when the Stars went to the merchant's books (a withdrawal, a fee).",
      resolve: (r: P) => r.toUserId,
    }),
    description: t.string({
      nullable: true,
      description: 'The text given with it.',
      resolve: (r: P) => r.description,
    }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: 'The metadata given with it.',
      resolve: (r: P) => r.metadata,
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When it was posted.',
      resolve: (r: P) => r.createdAt,
    }),
  };
}

/** A merchant reads its transactions; other credentials read only their user's history. */
export async function loadTransaction(ctx: Context, id: string): Promise<HistoryRow | null> {
  if (ctx.principal.kind !== 'merchant')
    throw new ForbiddenError('This credential may not list transactions');
  const { merchantId, mode } = tenantOf(ctx);
  return ctx.services.ledger.history.transaction(merchantId, mode, id);
}

/** The same rule as `user(userId:)`: a merchant reads any user, a user session only itself. */
async function loadUserTransaction(ctx: Context, key: string): Promise<UserRow | null> {
  const { transactionId, userId } = parseUserTransactionKey(key);
  const id = parseUserId(userId, 'id');
  if (!canReadUser(ctx, id)) throw new ForbiddenError('This credential may not read this user');
  const { merchantId, mode } = tenantOf(ctx);
  const row = await ctx.services.ledger.history.userTransaction(merchantId, mode, id, transactionId);
  return row ? { ...row, userId: id } : null;
}

export const TransactionFilter = builder.inputType('TransactionFilter', {
  description: 'Narrows a list of transactions; every field is optional.',
  fields: (t) => ({
    type: t.field({ type: TransactionTypeEnum, required: false, description: 'Only this type.' }),
    from: t.field({ type: 'DateTime', required: false, description: 'Inclusive lower bound on createdAt.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive upper bound on createdAt.' }),
  }),
});

builder.queryField('transactions', (t) =>
  t.connection(
    {
      type: TransactionRef,
      description: "The merchant's transactions in this mode, newest first (API keys only).",
      authScopes: { merchant: true },
      args: {
        filter: t.arg({ type: TransactionFilter, required: false, description: 'Type and time bounds.' }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'transactions', scope: listScope(ctx) }, (page) =>
          ctx.services.ledger.transactions(tenantOf(ctx), { ...args.filter, ...page }),
        ),
    },
    ...pageTypes('TransactionConnection', 'transactions'),
  ),
);
