import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import * as direct from '../../src/http/graphql-direct.js';
import { sign, type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { fuzzParams } from '../helpers/fuzz.js';

// POST /graphql's direct path (src/http/graphql-direct.ts) must answer exactly as yoga does. Two servers on one
// database, one with the direct path and one with GRAPHQL_DIRECT_PATH=false, get the same requests: plain
// queries, execution errors, variable errors, validation and syntax errors, several operations, subscriptions,
// refused introspection, unstorable text, odd Accept headers and bodies yoga refuses. Status, content type,
// CORS headers and body must be equal; the spy shows which requests the direct path answered.

const CONFIG = {
  graphqlPublicIntrospection: false,
  graphqlMaxDepth: 8,
  corsOrigins: ['https://app.example'],
};
const t = useTestApp(CONFIG);
let viaYoga: App;
let m: TestMerchant;

beforeAll(async () => {
  viaYoga = await createApp({
    migrate: false,
    role: 'api',
    config: {
      databaseUrl: databaseUrl(t.dbName),
      redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
      logLevel: 'silent',
      dbPoolSize: 4,
      tron: { ...loadConfig().tron, devnet: 'off' },
      evm: { ...loadConfig().evm, devnet: 'off' },
      ...CONFIG,
      graphqlDirectPath: false,
    },
  });
  m = await t.merchant();
  await t.credit(m, 'pa', '12.34');
});
afterAll(async () => {
  await viaYoga?.stop();
});

const HISTORY = `query($id: ID!, $first: Int) {
  user(userId: $id) { id userId balance currency
    transactions(first: $first) { totalCount edges { node { type amount direction balanceAfter description } } } }
}`;
const TRANSFER = `mutation($input: TransferInput!) {
  transfer(input: $input) { __typename ... on Transfer { transactionId } ... on Error { code message param } }
}`;

const documents = fc.constantFrom(
  '{ __typename }',
  HISTORY,
  '{ user(userId: "pa") { balance currency } }',
  '{ user(userId: "nobody") { balance } }',
  TRANSFER,
  '{ user(userId: ',
  '{ nope }',
  'query A { __typename } query B { viewer { id } }',
  'subscription { balanceUpdated(userId: "pa") { balance } }',
  '{ __schema { queryType { name } } }',
  '{ user(userId: "pa") { transactions(first: 1000) { totalCount } } }',
  `{ user(userId: "pa") { transactions { edges { node { id } } pageInfo { hasNextPage } } } }`,
  'mutation { transfer(input: { fromUserId: "pz", toUserId: "pa", amount: "1" }) { __typename } }',
  // Pothos' complexity rule throws while validating this one with `ids: null` (yoga masks it).
  'query($ids: [ID!] = ["x"]) { nodes(ids: $ids) { id } }',
);

const variables = fc.constantFrom<unknown>(
  undefined,
  null,
  {},
  { id: 'pa', first: 5 },
  { ids: null },
  { id: 'pa', first: 0 },
  { id: 'pa', first: 1e20 },
  { id: 'pa', first: 'five' },
  { id: 'a\u0000b' },
  { input: { fromUserId: 'pz', toUserId: 'pa', amount: '5.00' } },
  { input: { fromUserId: 'pz', toUserId: 'pa', amount: true } },
  { input: { fromUserId: 'pz', toUserId: 'pa', amount: '-1' } },
  { input: { fromUserId: 'pz', toUserId: 'pz', amount: '1' } },
  { input: { fromUserId: 'pz', toUserId: 'pa', amount: '1', description: 'x\u0000' } },
  [1, 2],
  'text',
);

const accepts = fc.constantFrom<string | undefined>(
  undefined,
  '*/*',
  'application/json',
  'Application/JSON',
  'application/graphql-response+json',
  'application/graphql-response+json; charset=utf-8',
  'application/json, */*',
  'application/graphql-response+json, application/json;q=0.9',
  'text/plain',
  'application/json; charset=latin1',
  // text/event-stream is left out: a subscription would stream until the client leaves (an inject never ends).
);

const extras = fc.constantFrom<Record<string, unknown>>(
  {},
  {},
  { extensions: {} },
  { documentId: 'sha256:nope' },
  { foo: 1 },
);

/** Mostly the plain case, so the direct path answers a good share; otherwise anything. */
const mostly = <T>(plain: fc.Arbitrary<T>, any: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: any, weight: 1 });

const request = fc
  .record({
    query: documents,
    variables,
    operationName: mostly(
      fc.constant<unknown>(undefined),
      fc.constantFrom<unknown>(null, 'A', 'B', 'Nope', 7),
    ),
    accept: mostly(fc.constantFrom(undefined, 'application/json'), accepts),
    extra: mostly(fc.constant({}), extras),
    anonymous: fc.boolean(),
    origin: mostly(fc.constant(undefined), fc.constantFrom('https://app.example', 'https://evil.example')),
  }) // A subscription that may be answered as an event stream would stream until the client leaves.
  .filter(
    (r) => !(r.query.startsWith('subscription') && (r.accept === undefined || r.accept.includes('*/*'))),
  );
type Req = typeof request extends fc.Arbitrary<infer R> ? R : never;

let sent = 0;

async function send(app: App, r: Req) {
  const body = { query: r.query, variables: r.variables, operationName: r.operationName, ...r.extra };
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (r.accept !== undefined) headers.accept = r.accept;
  if (r.origin !== undefined) headers.origin = r.origin;
  if (!r.anonymous) {
    headers['x-api-key'] = m.apiKey;
    headers['x-signature'] = sign(m.apiSecret, payload);
  }
  // Each request from an address of its own: anonymous requests spend a per-address limit, not tested here.
  const remoteAddress = `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent++ & 255}`;
  const res = await app.server.inject({ method: 'POST', url: '/graphql', payload, headers, remoteAddress });
  const kept = Object.entries(res.headers).filter(
    ([k]) =>
      k === 'content-type' ||
      k === 'allow' ||
      k === 'accept' ||
      k === 'vary' ||
      k.startsWith('access-control-'),
  );
  let parsed: unknown = res.body;
  try {
    // The request id of a refusal made before yoga (a 406 for the Accept header) differs per request.
    parsed = JSON.parse(res.body, (k, v) => (k === 'requestId' ? undefined : v));
  } catch {}
  return { status: res.statusCode, headers: Object.fromEntries(kept), body: parsed };
}

describe('POST /graphql direct path', () => {
  it('answers every request exactly as yoga does, and takes the plain ones', async () => {
    const spy = vi.spyOn(direct, 'runDirect');
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        spy.mockClear();
        const ours = await send(t.app, r);
        answered += (await Promise.all(spy.mock.results.map((x) => x.value))).filter(Boolean).length;
        const theirs = await send(viaYoga, r);
        expect(ours).toEqual(theirs);
      }),
      { ...fuzzParams(), numRuns: Math.max(150, fuzzParams().numRuns ?? 0) },
    );
    spy.mockRestore();
    expect(answered).toBeGreaterThan(10);
    // Nothing above moved money: every transfer tried was refused (pz has no balance, or the input was bad).
    const balance = await t.graphql(m, '{ user(userId: "pa") { balance } }');
    expect(balance.body.data.user.balance).toBe('12.34');
  });

  it('leaves to yoga a document whose validation throws', async () => {
    const r: Req = {
      query: 'query($ids: [ID!] = ["x"]) { nodes(ids: $ids) { id } }',
      variables: { ids: null },
      operationName: undefined,
      accept: undefined,
      extra: {},
      anonymous: true,
      origin: undefined,
    };
    const ours = await send(t.app, r);
    expect(ours).toEqual(await send(viaYoga, r));
    expect(ours.status).toBe(200);
    expect((ours.body as { errors: { message: string }[] }).errors[0]!.message).toMatch(/must not be null/);
  });

  it('posts a transfer once and answers it as yoga would', async () => {
    await t.credit(m, 'pb', '3.00');
    const input = { fromUserId: 'pb', toUserId: 'pc', amount: '1.25', description: 'direct' };
    const spy = vi.spyOn(direct, 'runDirect');
    const r = await t.graphql(m, TRANSFER.replace('transactionId', 'transactionId amount fromBalance'), {
      input,
    });
    expect(await spy.mock.results[0]?.value).toBe(true);
    spy.mockRestore();
    expect(r.status).toBe(200);
    expect(r.body.data.transfer).toMatchObject({
      __typename: 'Transfer',
      amount: '1.25',
      fromBalance: '1.75',
    });
    const rows = await t.app.pool.query(
      `select count(*)::int as n from ledger_transactions where description = 'direct'`,
    );
    expect(rows.rows[0].n).toBe(1);
  });
});
