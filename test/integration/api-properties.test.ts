import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { ERROR_STATUS } from '../../src/lib/errors.js';
import type { TestMerchant } from '../helpers/app.js';
import {
  FUZZ_RUNS,
  fromSchema,
  fuzzParams,
  hostileJson,
  hostileString,
  type Spoil,
  spoil,
  spoilArbitrary,
} from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import {
  checkResponse,
  deref,
  doc,
  documentedOperations,
  type Json,
  type Method,
} from '../helpers/openapi-doc.js';
import { useTronApp } from '../helpers/tron.js';
import { rawSocket } from '../helpers/ws.js';

// Property-based tests of the API's promises at its two HTTP doors, driven by the served OpenAPI document
// (every REST route) and by the GraphQL schema (the money-moving mutations), with valid and hostile data,
// sent concurrently in mixed batches so good and bad requests share ledger batches:
// - never a 5xx, and every answer is as documented (status, body schema, headers; GraphQL error codes from
//   the one list in src/lib/errors.ts);
// - every 200 is committed exactly once and nothing else is: the ledger, deposits and withdrawals grow by
//   exactly what the fresh (not replayed) successes say;
// - the ledger's invariants hold after every batch.
// `npm run fuzz` runs the same properties for longer (FUZZ_RUNS, FUZZ_SEED replays a failure).
const t = useTronApp({}, 'api');

const POOL = ['fz_a', 'fz_b', 'fz_c', 'fz_d'];
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const BATCH = { minLength: 4, maxLength: 14 };
const FUZZ_TIMEOUT_MS = 60_000 + FUZZ_RUNS * 2000;

let merchant: TestMerchant;
const knownIds: string[] = ['dep_nope', 'pay_nope'];

async function setup(): Promise<TestMerchant> {
  if (merchant) return merchant;
  merchant = await t.merchant();
  for (const u of POOL) await t.credit(merchant, u, '100000');
  return merchant;
}

async function effects(m: TestMerchant) {
  const r = await t.app.pool.query(
    `select (select count(*) from ledger_transactions where merchant_id = $1)::int as tx,
            (select count(*) from deposits where merchant_id = $1)::int as deposits,
            (select count(*) from withdrawals where merchant_id = $1)::int as withdrawals,
            (select count(*) from webhook_endpoints where merchant_id = $1)::int as endpoints`,
    [m.merchantId],
  );
  return r.rows[0] as { tx: number; deposits: number; withdrawals: number; endpoints: number };
}

// ---------------------------------------------------------------------------------------------------------
// REST, from the document

interface RestRequest {
  method: Method;
  path: string;
  url: string;
  rawBody?: string;
  headers: Record<string, string>;
}

const userId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...POOL) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9_]{1,12}$/) },
);
/** Valid field values that make the requests meaningful (funded payers, a real wallet, a real network). */
const OVERRIDES: Record<string, fc.Arbitrary<string>> = {
  fromUserId: userId.map((s) => JSON.stringify(s)),
  toUserId: userId.map((s) => JSON.stringify(s)),
  userId: userId.map((s) => JSON.stringify(s)),
  walletAddress: fc.constant(JSON.stringify(WALLET)),
  network: fc.constantFrom('"TRC20"', '"TRC20"', '"ERC20"', '"DOGE"'),
  currency: fc.constantFrom('"USDT"', '"USDT"', '"EUR"'),
};

const hostileSegment = fc.constantFrom(
  '%00',
  'a%00b',
  '%ED%A0%80',
  'x'.repeat(150),
  '%2e%2e',
  'dep_%FF',
  '..%2F..',
);
const idempotencyKey = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: fc.constant('fz-shared-key') },
  { weight: 1, arbitrary: fc.constantFrom('', 'has space', 'é', 'k'.repeat(256)) },
);

function bodyArbitrary(schema: Json): fc.Arbitrary<string> {
  const props = (deref(schema).properties ?? {}) as Record<string, Json>;
  const required = new Set<string>(deref(schema).required ?? []);
  const entries = Object.entries(props).map(([k, s]) => {
    const value = OVERRIDES[k] ?? fromSchema(s);
    return required.has(k)
      ? value.map((v) => [k, v] as const)
      : fc.option(value, { nil: undefined }).map((v) => [k, v] as const);
  });
  const valid = fc.tuple(...entries).map(
    (pairs) =>
      `{${pairs
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
        .join(',')}}`,
  );
  const fields = Object.keys(props);
  return fc
    .tuple(valid, fc.option(spoilArbitrary(fields), { nil: undefined, freq: 2 }))
    .map(([text, s]: [string, Spoil | undefined]) => (s ? spoil(text, s) : text));
}

function restArbitrary(method: Method, path: string): fc.Arbitrary<RestRequest> {
  const op = doc.paths[path][method] as Json;
  const params = ((op.parameters ?? []) as Json[]).map(deref);
  const segments = params
    .filter((p) => p.in === 'path')
    .map((p) =>
      fc
        .oneof(
          {
            weight: 3,
            arbitrary: p.name === 'userId' ? userId : fc.nat().map((i) => knownIds[i % knownIds.length]!),
          },
          { weight: 1, arbitrary: hostileSegment },
        )
        .map((v) => [p.name as string, v] as const),
    );
  const query = params
    .filter((p) => p.in === 'query')
    .map((p) =>
      fc
        .option(
          fc.oneof(
            {
              weight: 3,
              arbitrary:
                p.name === 'userId' ? userId : fromSchema(p.schema).map((j) => String(JSON.parse(j))),
            },
            { weight: 1, arbitrary: hostileString.map((s) => s.replace(/[\ud800-\udfff]/g, '')) },
          ),
          { nil: undefined },
        )
        .map((v) => [p.name as string, v] as const),
    );
  const requestBody = op.requestBody ? deref(op.requestBody).content['application/json'].schema : null;
  return fc
    .record({
      segments: fc.tuple(...segments),
      query: fc.tuple(...query),
      body: requestBody ? bodyArbitrary(requestBody) : fc.constant(undefined),
      key: method === 'post' ? idempotencyKey : fc.constant(undefined),
    })
    .map(({ segments: segs, query: q, body, key }) => {
      let url = path;
      for (const [name, value] of segs) url = url.replace(`{${name}}`, value);
      const qs = q
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
        .join('&');
      return {
        method,
        path,
        url: qs ? `${url}?${qs}` : url,
        ...(body !== undefined ? { rawBody: body } : {}),
        headers: (key !== undefined ? { 'idempotency-key': key } : {}) as Record<string, string>,
      };
    });
}

const restOperations = documentedOperations().filter((o) => !o.path.endsWith('openapi.json'));

interface Tally {
  transfers: string[];
  tx: number;
  deposits: number;
  withdrawals: number;
  endpoints: number;
}

function tallyRest(
  req: RestRequest,
  res: { status: number; body: any; headers: Record<string, unknown> },
  tally: Tally,
) {
  if (res.status !== 200 || req.method !== 'post' || res.headers['idempotent-replayed'] === 'true') return;
  if (req.path.endsWith('/transfer')) {
    tally.transfers.push(res.body.id);
    tally.tx++;
  } else if (req.path.endsWith('/withdraw/create')) {
    tally.tx++;
    tally.withdrawals++;
    knownIds.push(res.body.id);
  } else if (req.path.endsWith('/deposit/create')) {
    tally.deposits++;
    knownIds.push(res.body.id);
  }
}

async function expectEffects(m: TestMerchant, before: Awaited<ReturnType<typeof effects>>, tally: Tally) {
  const after = await effects(m);
  expect({
    tx: after.tx - before.tx,
    deposits: after.deposits - before.deposits,
    withdrawals: after.withdrawals - before.withdrawals,
    endpoints: after.endpoints - before.endpoints,
  }).toEqual({
    tx: tally.tx,
    deposits: tally.deposits,
    withdrawals: tally.withdrawals,
    endpoints: tally.endpoints,
  });
  await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId, acknowledged: tally.transfers });
}

const emptyTally = (): Tally => ({ transfers: [], tx: 0, deposits: 0, withdrawals: 0, endpoints: 0 });

describe('REST properties (from the served OpenAPI document)', () => {
  it('answers every mixed batch as documented, never 5xx, committing exactly the fresh 200s', {
    timeout: FUZZ_TIMEOUT_MS,
  }, async () => {
    const m = await setup();
    expect(restOperations.length).toBeGreaterThanOrEqual(7);
    const request = fc.oneof(...restOperations.map((o) => restArbitrary(o.method, o.path)));
    await fc.assert(
      fc.asyncProperty(fc.array(request, BATCH), async (batch) => {
        const before = await effects(m);
        const results = await Promise.all(
          batch.map((r) =>
            t.request({
              method: r.method === 'get' ? 'GET' : 'POST',
              url: r.url,
              as: m,
              headers: r.headers,
              ...(r.rawBody !== undefined ? { rawBody: r.rawBody } : {}),
            }),
          ),
        );
        const tally = emptyTally();
        results.forEach((res, i) => {
          const req = batch[i]!;
          expect(
            res.status,
            `${req.method} ${req.url} ${req.rawBody ?? ''} → ${JSON.stringify(res.body)}`,
          ).toBeLessThan(500);
          checkResponse(req.method, req.path, res);
          note(`${req.method} ${req.path} ${res.status}`);
          tallyRest(req, res, tally);
        });
        await expectEffects(m, before, tally);
      }),
      fuzzParams(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// GraphQL, from the schema's money-moving mutations

interface GqlCase {
  field: string;
  query: string;
  variables: string;
}

/** What each mutation's result union can be: its error members and its success type. */
const SUCCESS: Record<string, string> = {
  transfer: '... on Transfer { id: transactionId replayed }',
  createWithdrawal: '... on Withdrawal { id replayed }',
  createDeposit: '... on Deposit { id replayed }',
  createWebhookEndpoint: '... on WebhookEndpointWithSecret { endpoint { id } }',
};
const MUTATIONS: Record<string, { inputType: string; fields: Record<string, fc.Arbitrary<string>> }> = {
  transfer: {
    inputType: 'TransferInput',
    fields: {
      fromUserId: OVERRIDES.fromUserId!,
      toUserId: OVERRIDES.toUserId!,
      amount: fc.integer({ min: 1, max: 500 }).map((n) => JSON.stringify(`${n}.25`)),
      description: fc.constantFrom('"tip"', 'null', '"x"'),
      metadata: fc.constantFrom('{"streamId":"s1"}', 'null', '{"n":1,"ok":true}'),
    },
  },
  createWithdrawal: {
    inputType: 'CreateWithdrawalInput',
    fields: {
      userId: OVERRIDES.userId!,
      amount: fc.integer({ min: 5, max: 200 }).map((n) => JSON.stringify(String(n))),
      walletAddress: OVERRIDES.walletAddress!,
      network: OVERRIDES.network!,
    },
  },
  createDeposit: {
    inputType: 'CreateDepositInput',
    fields: {
      userId: OVERRIDES.userId!,
      amount: fc.constantFrom('"10"', '"0.5"', '"1.000001"'),
      currency: OVERRIDES.currency!,
      network: OVERRIDES.network!,
      metadata: fc.constantFrom('null', '{"order":"o1"}'),
    },
  },
  createWebhookEndpoint: {
    inputType: 'CreateWebhookEndpointInput',
    fields: {
      url: fc.constantFrom('"http://127.0.0.1:9/hook"', '"ftp://x"', '"notaurl"'),
      description: fc.constantFrom('"d"', 'null'),
      events: fc.constantFrom('["TRANSFER_COMPLETED"]', 'null', '["NOPE"]'),
    },
  },
};

function gqlArbitrary(field: string): fc.Arbitrary<GqlCase> {
  const spec = MUTATIONS[field]!;
  const names = Object.keys(spec.fields);
  const input = fc
    .tuple(...names.map((n) => spec.fields[n]!.map((v) => [n, v] as const)))
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
  const spoiled = fc
    .tuple(input, fc.option(spoilArbitrary(names), { nil: undefined, freq: 2 }))
    .map(([text, s]) => (s && s.kind !== 'whole' ? spoil(text, s) : text));
  const keyArg = field === 'createWebhookEndpoint' ? '' : ', $key: String';
  const keyUse = field === 'createWebhookEndpoint' ? '' : ', idempotencyKey: $key';
  const result = `__typename ... on Error { code message param } ${SUCCESS[field]}`;
  return fc
    .tuple(
      spoiled,
      fc.oneof(
        fc.constant('null'),
        fc.uuid().map((u) => JSON.stringify(u)),
        hostileJson,
      ),
    )
    .map(([text, key]) => ({
      field,
      query: `mutation($input: ${spec.inputType}!${keyArg}) { r: ${field}(input: $input${keyUse}) { ${result} } }`,
      variables: `{"input":${text}${keyArg ? `,"key":${key}` : ''}}`,
    }));
}

const CODES = new Set(Object.keys(ERROR_STATUS));

/** What the runs produced, by operation and outcome: printed with FUZZ_VERBOSE=1 to judge the generators. */
const seenOutcomes = new Map<string, number>();
function note(key: string) {
  seenOutcomes.set(key, (seenOutcomes.get(key) ?? 0) + 1);
}
afterAll(() => {
  if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries([...seenOutcomes].sort()));
});

function tallyGraphql(c: GqlCase, status: number, body: any, tally: Tally) {
  note(`graphql ${c.field} ${body.data?.r?.__typename ?? body.errors?.[0]?.extensions?.code ?? status}`);
  expect([200, 400], JSON.stringify(body)).toContain(status);
  for (const e of body.errors ?? []) {
    expect(CODES, JSON.stringify(e)).toContain(e.extensions?.code);
    expect(e.extensions.code, `${c.variables} → ${JSON.stringify(e)}`).not.toBe('internal_error');
  }
  const r = body.data?.r;
  if (!r) return;
  if (r.__typename.endsWith('Error')) {
    expect(CODES).toContain(r.code);
    return;
  }
  if (r.replayed) return;
  if (r.__typename === 'Transfer') {
    tally.transfers.push(r.id);
    tally.tx++;
  } else if (r.__typename === 'Withdrawal') {
    tally.tx++;
    tally.withdrawals++;
  } else if (r.__typename === 'Deposit') tally.deposits++;
  else if (r.__typename === 'WebhookEndpointWithSecret') tally.endpoints++;
}

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

let wsUrl = '';
async function socket(m: TestMerchant) {
  if (!wsUrl) wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
  const ts = String(Math.floor(Date.now() / 1000));
  const s = await rawSocket(wsUrl, {
    apiKey: m.apiKey,
    timestamp: ts,
    signature: hmacSha256Hex(m.apiSecret, ts),
  });
  expect(s.acked).toBe(true);
  return s;
}

/** A WebSocket operation's outcome in the shape of an HTTP one: `next` is data (+errors), `error` a 400. */
function fromSocket(messages: { type: string; payload?: any }[]): { status: number; body: any } {
  const error = messages.find((x) => x.type === 'error');
  if (error) return { status: 400, body: { errors: error.payload } };
  const next = messages.find((x) => x.type === 'next');
  return { status: 200, body: next?.payload ?? { errors: [{ extensions: { code: 'no answer' } }] } };
}

describe('GraphQL properties (the money-moving mutations)', () => {
  it('answers every mixed batch, over HTTP and the WebSocket at once, with codes from the one list, never internal_error, committing exactly the successes', {
    timeout: FUZZ_TIMEOUT_MS,
  }, async () => {
    const m = await setup();
    const ws = await socket(m);
    let op = 0;
    // Text that is not JSON closes a graphql-ws socket (4400, the protocol's rule; tested on its own
    // below): over the socket, the hostile values stay inside valid JSON.
    const request = fc
      .record({
        c: fc.oneof(...Object.keys(MUTATIONS).map(gqlArbitrary)),
        door: fc.constantFrom('http', 'ws'),
      })
      .filter(({ c, door }) => door === 'http' || isJson(c.variables));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(request, BATCH), async (batch) => {
          const before = await effects(m);
          const results = await Promise.all(
            batch.map(async ({ c, door }) => {
              const payload = `{"query":${JSON.stringify(c.query)},"variables":${c.variables}}`;
              if (door === 'http')
                return t.request({ method: 'POST', url: '/graphql', as: m, rawBody: payload });
              const id = `op${op++}`;
              ws.sendRaw(id, payload);
              return fromSocket(await ws.result(id));
            }),
          );
          expect(ws.closed()).toBeNull();
          const tally = emptyTally();
          results.forEach((res, i) => {
            note(`door ${batch[i]!.door}`);
            tallyGraphql(batch[i]!.c, res.status, res.body, tally);
          });
          await expectEffects(m, before, tally);
        }),
        { ...fuzzParams(), numRuns: Math.max(4, Math.ceil(FUZZ_RUNS / 2)) },
      );
    } finally {
      ws.close();
    }
  });
});

describe('the WebSocket door', () => {
  it('closes a socket that sends text which is not JSON with 4400, and nothing of it runs', async () => {
    const m = await setup();
    const before = await effects(m);
    const ws = await socket(m);
    ws.sendRaw(
      'bad',
      '{"query":"mutation($input: TransferInput!) { transfer(input: $input) { __typename } }","variables":{"input":{"fromUserId":"fz_a","toUserId":"x","amount":00.5}}}',
    );
    await ws.closing;
    expect(ws.closed()?.code).toBe(4400);
    expect(await effects(m)).toEqual(before);
  });
});
