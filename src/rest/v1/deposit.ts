import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Context } from '../../context.js';
import { NotFoundError } from '../../lib/errors.js';
import { restBody } from './body.js';
import { restAmount, restEnum, restTime, restTimeOrNull } from './format.js';
import { ERROR_FIELDS, idempotencyKeyHeader, PreparedOperation, unwrap } from './operation.js';
import { type AmountPrinter, amountPrinter, PAGE_AMOUNTS } from './replay.js';

const FIELDS = `id userId network currency depositAddress amount amountReceived amountConfirming status confirmations
  requiredConfirmations txHash confirmingTxHash flags failureReason expiresAt createdAt confirmedAt paymentUrl metadata replayed`;

const CREATE = /* GraphQL */ `
  mutation RestCreateDeposit($input: CreateDepositInput!, $key: String) {
    createDeposit(input: $input, idempotencyKey: $key) { __typename ... on Deposit { ${FIELDS} } ${ERROR_FIELDS} }
  }
`;

const GET = /* GraphQL */ `
  query RestDeposit($id: ID!) { deposit(id: $id) { ${FIELDS} } }
`;

const parseBody = restBody({
  userId: { kind: 'string', required: true },
  amount: { kind: 'amount', required: true },
  currency: { kind: 'string', required: true },
  network: { kind: 'string', required: true },
  metadata: { kind: 'object', required: false },
});

interface Deposit {
  id: string;
  userId: string;
  network: string;
  currency: string;
  depositAddress: string;
  amount: string;
  amountReceived: string;
  amountConfirming: string;
  status: string;
  confirmations: number;
  requiredConfirmations: number;
  txHash: string | null;
  confirmingTxHash: string | null;
  flags: string[];
  failureReason: string | null;
  expiresAt: string;
  createdAt: string;
  confirmedAt: string | null;
  paymentUrl: string;
  metadata: Record<string, unknown> | null;
  replayed: boolean;
}

/** The page's shape first (amounts as JSON numbers), then the fields docs/api.md adds. */
function legacy(d: Deposit, amount: AmountPrinter = PAGE_AMOUNTS) {
  return {
    id: d.id,
    depositAddress: d.depositAddress,
    network: d.network,
    amount: amount.token(d.amount),
    currency: d.currency,
    expiresAt: restTime(d.expiresAt),
    status: restEnum(d.status),
    paymentUrl: d.paymentUrl,
    userId: d.userId,
    expectedAmount: restAmount(d.amount),
    amountReceived: restAmount(d.amountReceived),
    amountConfirming: restAmount(d.amountConfirming),
    confirmations: d.confirmations,
    requiredConfirmations: d.requiredConfirmations,
    txHash: d.txHash,
    confirmingTxHash: d.confirmingTxHash,
    flags: d.flags.map(restEnum),
    failureReason: d.failureReason,
    metadata: d.metadata,
    createdAt: restTime(d.createdAt),
    confirmedAt: restTimeOrNull(d.confirmedAt),
  };
}

/** POST /api/v1/deposit/create and GET /api/v1/deposit/:id */
export function depositRoutes(
  app: FastifyInstance,
  schema: GraphQLSchema,
  context: (req: FastifyRequest) => Context,
) {
  const create = new PreparedOperation(schema, CREATE);
  const get = new PreparedOperation(schema, GET);
  app.post('/deposit/create', async (req, reply) => {
    const input = parseBody(req.body);
    const key = idempotencyKeyHeader(req);
    const ctx = context(req);
    const data = await create.run(ctx, { input, key });
    const d = unwrap<Deposit>(data.createDeposit);
    if (d.replayed) reply.header('Idempotent-Replayed', 'true');
    return legacy(d, await amountPrinter(ctx, key, d.replayed));
  });
  app.get<{ Params: { id: string } }>('/deposit/:id', async (req) => {
    const data = await get.run(context(req), { id: req.params.id });
    const d = data.deposit as Deposit | null;
    if (!d) throw new NotFoundError('Deposit', req.params.id, 'id');
    return legacy(d);
  });
}
