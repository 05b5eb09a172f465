import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS_ON_WEBSOCKET } from '../../src/http/graphql-rules.js';
import { ERROR_STATUS } from '../../src/lib/errors.js';
import { sign, type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';

// The Accept header and GET's JSON parameters at /graphql, as a sloppy client sends them. Yoga chooses how to
// write an answer (JSON, an event stream, multipart) only after the operation ran, and refused Accept headers
// it could not serve with a bodyless 406: a transfer was posted and its client told "Not Acceptable". And a GET
// whose `variables` was not JSON answered internal_error. Properties: never a 5xx or internal_error; a refusal
// is a 4xx in the GraphQL error shape and moves nothing; an answer that moved money says so.
const t = useTestApp();

const MUTATION =
  'mutation($input: TransferInput!, $key: String) { r: transfer(input: $input, idempotencyKey: $key) { __typename ... on Transfer { transactionId amount } ... on Error { code } } }';
const CODES = new Set(Object.keys(ERROR_STATUS));

const mediaType = fc.constantFrom(
  'application/json',
  'application/graphql-response+json',
  'text/event-stream',
  'multipart/mixed',
  '*/*',
  'application/*',
  'text/*',
  'text/html',
  'application/xml',
  'image/png',
  'Application/JSON',
  'application',
  '*',
  '',
);
const param = fc.constantFrom(
  '',
  ';q=0.9',
  ';charset=utf-8',
  ';charset=UTF-8',
  ';charset=latin1',
  '; q=0',
  ';x',
);
const acceptHeader = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(mediaType, param), { minLength: 1, maxLength: 3 })
      .map((ranges) => ranges.map(([m, p]) => `${m}${p}`).join(', ')),
  },
);

async function balanceOf(m: TestMerchant, userId: string): Promise<bigint> {
  const r = await t.app.pool.query<{ b: string }>(
    `select coalesce((select balance_minor from accounts where merchant_id = $1 and mode = $2 and kind = 'user' and code = $3), 0)::text as b`,
    [m.merchantId, m.mode, userId],
  );
  return BigInt(r.rows[0]!.b);
}

/** POST /graphql signed by `m`, with this Accept header (none when undefined). */
const post = (m: TestMerchant, payload: string, accept: string | undefined) =>
  t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    payload,
    headers: {
      'content-type': 'application/json',
      'x-api-key': m.apiKey,
      'x-signature': sign(m.apiSecret, payload),
      ...(accept === undefined ? {} : { accept }),
    },
  });

function expectGraphqlRefusal(status: number, text: string, context: string) {
  expect(status, context).toBeGreaterThanOrEqual(400);
  expect(status, context).toBeLessThan(500);
  const body = JSON.parse(text);
  expect(body.errors?.length, context).toBeGreaterThan(0);
  for (const e of body.errors) expect(CODES, context).toContain(e.extensions?.code);
}

describe('POST /graphql with any Accept header', () => {
  it('a mutation either answers with what it committed, or is refused (4xx, GraphQL errors) with nothing moved', async () => {
    const m = await t.merchant();
    await t.credit(m, 'acc_payer', '100000');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(acceptHeader, async (accept) => {
        const key = `accept-${n++}`;
        const payload = JSON.stringify({
          query: MUTATION,
          variables: { input: { fromUserId: 'acc_payer', toUserId: 'acc_payee', amount: '1.25' }, key },
        });
        const before = await balanceOf(m, 'acc_payee');
        const res = await post(m, payload, accept);
        const moved = (await balanceOf(m, 'acc_payee')) - before;
        const context = `Accept: ${accept} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.body, context).not.toContain('internal_error');
        if (res.statusCode >= 300) {
          expectGraphqlRefusal(res.statusCode, res.body, context);
          expect(moved, context).toBe(0n);
        } else {
          // JSON, an event stream or a multipart body: each carries the transfer's answer.
          expect(res.body, context).toContain('"__typename":"Transfer"');
          expect(moved, context).toBe(125n);
        }
      }),
      { ...fuzzParams(), seed: fuzzParams().seed ?? 4242, numRuns: 40 },
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('refuses a mutation asked for as text/html with 406 before it runs', async () => {
    const m = await t.merchant();
    await t.credit(m, 'html_payer', '10');
    const payload = JSON.stringify({
      query: MUTATION,
      variables: { input: { fromUserId: 'html_payer', toUserId: 'html_payee', amount: '1' } },
    });
    const res = await post(m, payload, 'text/html');
    expect(res.statusCode).toBe(406);
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'invalid_request' });
    expect(await balanceOf(m, 'html_payer')).toBe(1000n);
    expect(await balanceOf(m, 'html_payee')).toBe(0n);
  });

  it('refuses a subscription, whatever the Accept header: subscriptions are served over the WebSocket only', async () => {
    // An HTTP stream (server-sent events) would hold no place under the WebSocket's per-socket and per-key caps.
    // inject() returns when the response ends: a stream that started would never end, and time the test out.
    const m = await t.merchant();
    const payload = JSON.stringify({ query: 'subscription { balanceUpdated(userId: "u1") { balance } }' });
    await fc.assert(
      fc.asyncProperty(acceptHeader, async (accept) => {
        const res = await post(m, payload, accept);
        const context = `Accept: ${accept}`;
        if (/^(text\/event-stream|multipart\/mixed)/.test(res.headers['content-type']?.toString() ?? '')) {
          // Asked for a streaming format first: the refusal is its one part (an event, a multipart part), and
          // the response ends.
          expect(res.body, context).toContain(SUBSCRIPTIONS_ON_WEBSOCKET);
          expect(res.body, context).toContain('invalid_request');
          expect(res.body, context).toMatch(/"requestId":"req_/);
          return;
        }
        if (res.statusCode === 200) {
          // application/json: a request error is answered 200, as validation errors are (GraphQL over HTTP).
          expect(res.headers['content-type'], context).toMatch(/^application\/json/);
          expect(res.json(), context).toEqual({
            errors: [
              {
                message: SUBSCRIPTIONS_ON_WEBSOCKET,
                extensions: { code: 'invalid_request', requestId: expect.stringMatching(/^req_/) },
              },
            ],
          });
          return;
        }
        expectGraphqlRefusal(res.statusCode, res.body, context);
        if (res.statusCode !== 406)
          expect(res.json().errors[0].message, context).toBe(SUBSCRIPTIONS_ON_WEBSOCKET);
        expect(res.json().errors[0].extensions.requestId, context).toMatch(/^req_/);
      }),
      { ...fuzzParams(), seed: fuzzParams().seed ?? 7321, numRuns: 40 },
    );
    // Both media types, as for any request error: 400 in application/graphql-response+json, 200 in JSON.
    const spec = await post(m, payload, 'application/graphql-response+json');
    expect(spec.statusCode).toBe(400);
    expect(spec.json().errors[0].extensions).toEqual({
      code: 'invalid_request',
      requestId: expect.stringMatching(/^req_/),
    });
    const none = await post(m, payload, undefined);
    expect(none.statusCode).toBe(200);
    expect(none.json().errors[0].message).toBe(SUBSCRIPTIONS_ON_WEBSOCKET);
  });
});

describe('GET /graphql parameters', () => {
  const jsonish = fc.oneof(
    fc.constantFrom(
      'notjson',
      '{',
      '{"first":',
      "{'a':1}",
      'undefined',
      'NaN',
      '[1,]',
      '%',
      '{"a":1}',
      '{}',
      'null',
    ),
    fc.string({ maxLength: 12 }),
  );
  it('answers variables or extensions that are not JSON with a 400 naming the parameter, never internal_error', async () => {
    const m = await t.merchant();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('variables', 'extensions'), jsonish, async (name, value) => {
        const url = `/graphql?query=${encodeURIComponent('{ viewer { id } }')}&${name}=${encodeURIComponent(value)}`;
        const res = await t.request({ method: 'GET', url, as: m });
        const context = `${name}=${value} → ${res.status} ${res.text}`;
        expect(res.status, context).toBeLessThan(500);
        expect(res.text, context).not.toContain('internal_error');
        let isJson = true;
        try {
          JSON.parse(value);
        } catch {
          isJson = false;
        }
        if (value !== '' && !isJson) {
          expect(res.status, context).toBe(400);
          expect(res.body.errors[0].extensions, context).toMatchObject({
            code: 'invalid_request',
            param: name,
          });
        }
      }),
      { ...fuzzParams(), seed: fuzzParams().seed ?? 4243, numRuns: 40 },
    );
  });
});
