import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Context } from '../../context.js';
import { NotFoundError } from '../../lib/errors.js';
import { restAmount, restTime } from './format.js';
import { PreparedOperation } from './operation.js';

const QUERY = /* GraphQL */ `
  query RestBalance($id: ID!) {
    user(userId: $id) { userId balance currency updatedAt }
  }
`;

/** GET /api/v1/balance/:userId → {userId, balance, currency: "Stars", updatedAt} */
export function balanceRoute(
  app: FastifyInstance,
  schema: GraphQLSchema,
  context: (req: FastifyRequest) => Context,
) {
  const op = new PreparedOperation(schema, QUERY);
  app.get<{ Params: { userId: string } }>('/balance/:userId', async (req) => {
    const data = await op.run(context(req), { id: req.params.userId });
    const user = data.user as { userId: string; balance: string; currency: string; updatedAt: string } | null;
    if (!user) throw new NotFoundError('User', req.params.userId, 'userId');
    return {
      userId: user.userId,
      balance: restAmount(user.balance),
      currency: user.currency,
      updatedAt: restTime(user.updatedAt),
    };
  });
}
