import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Context } from '../../context.js';
import { restBody } from './body.js';
import { restAmount, restEnum, restTime } from './format.js';
import { ERROR_FIELDS, idempotencyKeyHeader, PreparedOperation, unwrap } from './operation.js';
import { amountPrinter } from './replay.js';

const MUTATION = /* GraphQL */ `
  mutation RestTransfer($input: TransferInput!, $key: String) {
    transfer(input: $input, idempotencyKey: $key) {
      __typename
      ... on Transfer {
        transactionId status amount fromUserId toUserId fromBalance toBalance description metadata createdAt replayed
      }
      ${ERROR_FIELDS}
    }
  }
`;

const parseBody = restBody({
  fromUserId: { kind: 'string', required: true },
  toUserId: { kind: 'string', required: true },
  amount: { kind: 'amount', required: true },
  description: { kind: 'string', required: false },
  metadata: { kind: 'object', required: false },
});

interface Transfer {
  transactionId: string;
  status: string;
  amount: string;
  fromUserId: string;
  toUserId: string;
  fromBalance: string;
  toBalance: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  replayed: boolean;
}

/** POST /api/v1/transfer → {id, status: "completed", amount, fromBalance, toBalance, …} */
export function transferRoute(
  app: FastifyInstance,
  schema: GraphQLSchema,
  context: (req: FastifyRequest) => Context,
) {
  const op = new PreparedOperation(schema, MUTATION);
  app.post('/transfer', async (req, reply) => {
    const input = parseBody(req.body);
    const key = idempotencyKeyHeader(req);
    const ctx = context(req);
    const data = await op.run(ctx, { input, key });
    const t = unwrap<Transfer>(data.transfer);
    if (t.replayed) reply.header('Idempotent-Replayed', 'true');
    const amount = await amountPrinter(ctx, key, t.replayed);
    return {
      id: t.transactionId,
      status: restEnum(t.status),
      amount: amount.stars(t.amount),
      fromBalance: restAmount(t.fromBalance),
      toBalance: restAmount(t.toBalance),
      fromUserId: t.fromUserId,
      toUserId: t.toUserId,
      description: t.description,
      metadata: t.metadata,
      createdAt: restTime(t.createdAt),
    };
  });
}
