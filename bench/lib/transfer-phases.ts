import { randomBytes } from 'node:crypto';
import { adminToken, type Merchant, signedPost, userId } from './fixtures.js';
import { type HttpClient, type LoadResult, type Reply, runLoad, runPaced } from './load.js';

// The phases of `npm run bench -- transfers`: what each sends, how (closed loop or paced), and which other
// phase or pgbench run it is judged against.

export const USERS = 10_000;
export const HOT_PAYEE = 'hot_streamer';

export interface PhaseContext {
  http: HttpClient;
  /** The paced phase's client: as many connections as requests in flight (an open loop never queues). */
  pacedHttp: HttpClient;
  merchant: Merchant;
  adminToken: string;
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** Results of the phases run so far, by key. */
  done: Map<string, LoadResult>;
}

export interface Phase {
  key: string;
  name: string;
  /** pgbench scale of its baseline, when it has one (50 spreads the rows, 1 puts every client on one). */
  pgbenchScale?: number;
  run: (c: PhaseContext) => Promise<LoadResult>;
}

const randomUser = () => Math.floor(Math.random() * USERS);

function randomPair(): [string, string] {
  const from = randomUser();
  let to = Math.floor(Math.random() * (USERS - 1));
  if (to >= from) to++;
  return [userId(from), userId(to)];
}

const hotPair = (): [string, string] => [userId(randomUser()), HOT_PAYEE];

const runKey = randomBytes(4).toString('hex');
let keySeq = 0;
const nextKey = () => `bench-${runKey}-${keySeq++}`;

function restTransfer(
  c: PhaseContext,
  pick: () => [string, string],
  withKey = false,
  http = c.http,
): () => Promise<Reply> {
  return () => {
    const [fromUserId, toUserId] = pick();
    const body = { fromUserId, toUserId, amount: 1, description: 'bench' };
    return signedPost(
      http,
      c.merchant,
      '/api/v1/transfer',
      body,
      withKey ? { 'Idempotency-Key': nextKey() } : {},
    );
  };
}

const TRANSFER_MUTATION = `mutation($input: TransferInput!, $key: String) {
  transfer(input: $input, idempotencyKey: $key) {
    __typename
    ... on Transfer { transactionId status amount fromBalance toBalance fromUserId toUserId description metadata createdAt }
    ... on Error { code message }
  }
}`;

const ADJUST_MUTATION = `mutation($input: AdjustBalanceInput!, $key: String!) {
  adjustBalance(input: $input, idempotencyKey: $key) { __typename ... on Adjustment { transactionId } ... on Error { code message } }
}`;

/** A 200 whose GraphQL result is not the success type counts as a failure (its body is sampled). */
async function expectType(reply: Promise<Reply>, field: string, type: string): Promise<Reply> {
  const r = await reply;
  if (r.status !== 200) return r;
  const got = JSON.parse(r.body)?.data?.[field]?.__typename;
  return got === type ? r : { ...r, status: 299 };
}

function graphqlTransfer(c: PhaseContext): () => Promise<Reply> {
  return () => {
    const [fromUserId, toUserId] = randomPair();
    const payload = {
      query: TRANSFER_MUTATION,
      variables: { input: { fromUserId, toUserId, amount: '1', description: 'bench' } },
    };
    return expectType(signedPost(c.http, c.merchant, '/graphql', payload), 'transfer', 'Transfer');
  };
}

function graphqlAdjust(c: PhaseContext): () => Promise<Reply> {
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${c.adminToken}` };
  return () => {
    const input = {
      merchantId: c.merchant.merchantId,
      mode: 'TEST',
      userId: userId(randomUser()),
      amount: '1',
      direction: 'CREDIT',
      reason: 'bench',
    };
    const body = Buffer.from(
      JSON.stringify({ query: ADJUST_MUTATION, variables: { input, key: nextKey() } }),
    );
    return expectType(c.http.post('/graphql', body, headers), 'adjustBalance', 'Adjustment');
  };
}

const closed = (c: PhaseContext, send: () => Promise<Reply>) =>
  runLoad({ clients: c.clients, warmupMs: c.warmupMs, durationMs: c.durationMs, send });

export const PHASES: Phase[] = [
  {
    key: 'a',
    name: `(a) REST, random payer → random payee, ${USERS.toLocaleString('en-US')} users`,
    pgbenchScale: 50,
    run: (c) => closed(c, restTransfer(c, randomPair)),
  },
  {
    key: 'b',
    name: `(b) REST, random payer → one hot payee (${HOT_PAYEE})`,
    pgbenchScale: 1,
    run: (c) => closed(c, restTransfer(c, hotPair)),
  },
  {
    key: 'c',
    name: '(c) REST, random pairs paced at half of (a)',
    run: (c) =>
      runPaced({
        // BENCH_PACED_PER_SECOND fixes the rate (to profile (c) without running (a) first).
        perSecond:
          Number(process.env.BENCH_PACED_PER_SECOND) ||
          Math.max(1, Math.round((c.done.get('a')?.perSecond ?? 200) / 2)),
        warmupMs: c.warmupMs,
        durationMs: c.durationMs,
        send: restTransfer(c, randomPair, false, c.pacedHttp),
      }),
  },
  {
    key: 'd',
    name: '(d) REST, random pairs, each with its own Idempotency-Key',
    run: (c) => closed(c, restTransfer(c, randomPair, true)),
  },
  { key: 'e', name: '(e) GraphQL `transfer`, random pairs', run: (c) => closed(c, graphqlTransfer(c)) },
  {
    key: 'f',
    name: '(f) GraphQL `adjustBalance` (admin token, idempotency key), random users',
    run: (c) => closed(c, graphqlAdjust(c)),
  },
];

export { adminToken };
