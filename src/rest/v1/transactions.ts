import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLEnumType, GraphQLSchema } from 'graphql';
import type { Context } from '../../context.js';
import { parseDate } from '../../lib/dates.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { restAmountOrNull, restEnum, restStarsAmount, restTime } from './format.js';
import { checkQuery, PreparedOperation, positiveInt } from './operation.js';

const ROW =
  'type amount direction balanceBefore balanceAfter userId fromUserId toUserId description metadata createdAt';

// A user's history rows are UserTransaction Nodes (their `id` is the row's Node id): the page's `id` is the
// transaction's, `transactionId`, aliased so both queries answer rows of one shape.
const USER_QUERY = /* GraphQL */ `
  query RestUserTransactions($id: ID!, $filter: TransactionFilter, $first: Int!) {
    user(userId: $id) {
      transactions(filter: $filter, first: $first) {
        totalCount edges { node { id: transactionId ${ROW} } }
      }
    }
  }
`;

const MERCHANT_QUERY = /* GraphQL */ `
  query RestTransactions($filter: TransactionFilter, $first: Int!) {
    transactions(filter: $filter, first: $first) { totalCount edges { node { id ${ROW} } } }
  }
`;

interface Row {
  id: string;
  type: string;
  amount: string;
  direction: string;
  balanceBefore: string | null;
  balanceAfter: string | null;
  userId: string | null;
  fromUserId: string | null;
  toUserId: string | null;
  description: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

type Connection = { totalCount: number; edges: { node: Row }[] };

/** page × limit stays within the history's offset bound (10,000,000 rows). */
const MAX_PAGE = 100_000;

/** GET /api/v1/transactions?userId&type&from&to&page&limit → {data, total, page, limit}, newest first. */
export function transactionsRoute(
  app: FastifyInstance,
  schema: GraphQLSchema,
  context: (req: FastifyRequest) => Context,
) {
  const userOp = new PreparedOperation(schema, USER_QUERY);
  const merchantOp = new PreparedOperation(schema, MERCHANT_QUERY);
  // The schema's TransactionType values, in its order: REST checks `type` against what GraphQL accepts.
  const txTypes = (schema.getType('TransactionType') as GraphQLEnumType)
    .getValues()
    .map((v) => v.name.toLowerCase());
  app.get('/transactions', async (req) => {
    const q = checkQuery(req.query, ['userId', 'type', 'from', 'to', 'page', 'limit']);
    const page = positiveInt(q.page, 'page', 1, MAX_PAGE);
    const limit = positiveInt(q.limit, 'limit', 20, 100);
    const offset = (page - 1) * limit;
    if (q.type && !txTypes.includes(q.type)) {
      throw new ValidationError(`type must be one of ${txTypes.join(', ')}`, 'type');
    }
    const from = parseDate(q.from, 'from');
    const to = parseDate(q.to, 'to');
    const filter = {
      type: q.type ? q.type.toUpperCase() : null,
      from: from?.toISOString() ?? null,
      to: to?.toISOString() ?? null,
    };
    // The legacy page/limit is an offset, which no GraphQL cursor carries: the context asks for it.
    const vars = { filter, first: limit };
    const ctx: Context = { ...context(req), restOffset: offset };
    let conn: Connection;
    if (q.userId !== undefined) {
      const data = await userOp.run(ctx, { ...vars, id: q.userId });
      const user = data.user as { transactions: Connection } | null;
      if (!user) throw new NotFoundError('User', q.userId, 'userId');
      conn = user.transactions;
    } else {
      conn = (await merchantOp.run(ctx, vars)).transactions as Connection;
    }
    return {
      data: conn.edges.map(({ node: r }) => ({
        id: r.id,
        type: restEnum(r.type),
        amount: restStarsAmount(r.amount),
        direction: restEnum(r.direction),
        balanceBefore: restAmountOrNull(r.balanceBefore),
        balanceAfter: restAmountOrNull(r.balanceAfter),
        userId: r.userId,
        fromUserId: r.fromUserId,
        toUserId: r.toUserId,
        description: r.description,
        metadata: r.metadata,
        createdAt: restTime(r.createdAt),
      })),
      total: conn.totalCount,
      page,
      limit,
    };
  });
}
