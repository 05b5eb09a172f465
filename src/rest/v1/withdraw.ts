import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Context } from '../../context.js';
import { NotFoundError } from '../../lib/errors.js';
import { restBody } from './body.js';
import { restAmount, restEnum, restTime } from './format.js';
import { ERROR_FIELDS, idempotencyKeyHeader, PreparedOperation, unwrap } from './operation.js';
import { type AmountPrinter, amountPrinter, PAGE_AMOUNTS } from './replay.js';

const FIELDS =
  'id status amount fee amountUsdt networkFee userId network walletAddress txHash failureReason createdAt replayed';

const CREATE = /* GraphQL */ `
  mutation RestCreateWithdrawal($input: CreateWithdrawalInput!, $key: String) {
    createWithdrawal(input: $input, idempotencyKey: $key) { __typename ... on Withdrawal { ${FIELDS} } ${ERROR_FIELDS} }
  }
`;
const GET = /* GraphQL */ `query RestWithdrawal($id: ID!) { withdrawal(id: $id) { ${FIELDS} } }`;

const parseBody = restBody({
  userId: { kind: 'string', required: true },
  amount: { kind: 'amount', required: true },
  walletAddress: { kind: 'string', required: true },
  network: { kind: 'string', required: true },
});

interface Withdrawal {
  id: string;
  status: string;
  amount: string;
  fee: string;
  amountUsdt: string;
  networkFee: string;
  userId: string;
  network: string;
  walletAddress: string;
  txHash: string | null;
  failureReason: string | null;
  createdAt: string;
  replayed: boolean;
}

/** The page's shape (`{id, status, amount, amountUsdt, fee, networkFee}` as JSON numbers), then our additions. */
function legacy(w: Withdrawal, amount: AmountPrinter = PAGE_AMOUNTS) {
  return {
    id: w.id,
    status: restEnum(w.status),
    amount: amount.stars(w.amount),
    amountUsdt: restAmount(w.amountUsdt),
    fee: restAmount(w.fee),
    networkFee: restAmount(w.networkFee),
    userId: w.userId,
    network: w.network,
    walletAddress: w.walletAddress,
    txHash: w.txHash,
    failureReason: w.failureReason,
    createdAt: restTime(w.createdAt),
  };
}

/** POST /api/v1/withdraw/create and GET /api/v1/withdraw/:id */
export function withdrawRoutes(
  app: FastifyInstance,
  schema: GraphQLSchema,
  context: (req: FastifyRequest) => Context,
) {
  const create = new PreparedOperation(schema, CREATE);
  const get = new PreparedOperation(schema, GET);
  app.post('/withdraw/create', async (req, reply) => {
    const input = parseBody(req.body);
    const key = idempotencyKeyHeader(req);
    const ctx = context(req);
    const data = await create.run(ctx, { input, key });
    const w = unwrap<Withdrawal>(data.createWithdrawal);
    if (w.replayed) reply.header('Idempotent-Replayed', 'true');
    return legacy(w, await amountPrinter(ctx, key, w.replayed));
  });
  app.get<{ Params: { id: string } }>('/withdraw/:id', async (req) => {
    const data = await get.run(context(req), { id: req.params.id });
    const w = data.withdrawal as Withdrawal | null;
    if (!w) throw new NotFoundError('Withdrawal', req.params.id, 'id');
    return legacy(w);
  });
}
