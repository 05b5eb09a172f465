import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Context, Services } from '../../context.js';
import type { Authenticator } from '../../http/auth.js';
import { assertStorableText } from '../../lib/text.js';
import { balanceRoute } from './balance.js';
import { depositRoutes } from './deposit.js';
import { serializeRest } from './format.js';
import { transactionsRoute } from './transactions.js';
import { transferRoute } from './transfer.js';
import { withdrawRoutes } from './withdraw.js';

/** The legacy REST face at /api/v1: API-key HMAC only, every route an adapter over one GraphQL operation. */
export async function registerRestV1(
  app: FastifyInstance,
  schema: GraphQLSchema,
  services: Services,
  auth: Authenticator,
) {
  await app.register(
    async (v1) => {
      v1.addHook('preHandler', async (req, reply) => {
        req.principal = await auth.authenticate(req, reply, { merchantOnly: true });
        // Path ids, query parameters and body text PostgreSQL cannot store are the caller's 400, named.
        assertStorableText(req.params, '');
        assertStorableText(req.query, '');
        assertStorableText(req.body, '');
      });
      // Amounts leave as the page prints them: JSON numbers with their exact digits (format.ts).
      v1.setReplySerializer((payload) => serializeRest(payload));
      const context = (req: FastifyRequest): Context => ({
        principal: req.principal,
        services,
        requestId: req.id,
      });
      balanceRoute(v1, schema, context);
      transferRoute(v1, schema, context);
      transactionsRoute(v1, schema, context);
      depositRoutes(v1, schema, context);
      withdrawRoutes(v1, schema, context);
    },
    { prefix: '/api/v1' },
  );
}
