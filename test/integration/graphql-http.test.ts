import { cacheExchange, createClient, fetchExchange } from '@urql/core';
import { auditServer } from 'graphql-http';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/lib/errors.js';
import { sign, type TestMerchant, useTestApp } from '../helpers/app.js';

// GraphQL over HTTP as the spec says (issue 16): graphql-http's audit, and every refusal of /graphql (the
// doors' included: signature, key, allow-list, rate limit, body) in GraphQL's shape with a code of the one
// list REST uses, with the status of that list and the media type the client asked for.
// A depth limit of 4 (the default is 10, which no document can reach without introspection) to test it.
// The audits send hundreds of anonymous requests from one address within a second: the per-address limit of
// anonymous requests (its own test is in auth.test.ts) is raised here so that they answer what they audit.
const t = useTestApp({
  corsOrigins: ['https://shop.example'],
  graphqlMaxDepth: 4,
  anonymousRateLimitPerSecond: 100_000,
});
let url = '';
beforeAll(async () => {
  url = `${await t.app.listen(0, '127.0.0.1')}/graphql`;
});

const GRAPHQL_JSON = 'application/graphql-response+json';

/** Signs the exact body fetch is about to send, as a merchant's server does. */
function signingFetch(m: TestMerchant, secret = m.apiSecret): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', m.apiKey);
    headers.set('x-signature', sign(secret, typeof init.body === 'string' ? init.body : ''));
    return fetch(input, { ...init, headers });
  };
}

function signedBy(m: TestMerchant, payload: string) {
  return { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, payload) };
}

async function post(headers: Record<string, string>, payload: string) {
  const res = await t.app.server.inject({ method: 'POST', url: '/graphql', payload, headers });
  return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json(), res };
}

function expectGraphqlError(r: { body: any }, code: string) {
  expect(Object.keys(r.body)).toEqual(['errors']);
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0]).toEqual({
    message: expect.any(String),
    extensions: expect.objectContaining({ code, requestId: expect.stringMatching(/^req_/) }),
  });
  expect(Object.keys(ERROR_STATUS)).toContain(code);
}

describe('GraphQL over HTTP', () => {
  it('passes every graphql-http audit, anonymous and with a signed API key', async () => {
    const m = await t.merchant();
    for (const fetchFn of [fetch, signingFetch(m)]) {
      const results = await auditServer({ url, fetchFn });
      const failed = results.filter((r) => r.status !== 'ok').map((r) => `${r.id} ${r.name}`);
      expect(failed).toEqual([]);
      expect(results.length).toBeGreaterThan(50);
    }
  });

  it('answers every refusal of the doors in GraphQL shape, with the shared codes and statuses', async () => {
    const m = await t.merchant();
    const fenced = await t.merchant('test', { ipAllowlist: ['10.0.0.0/8'] });
    const slow = await t.merchant('test', { rateLimitPerSecond: 1 });
    const body = JSON.stringify({ query: '{ viewer { id } }' });
    const signed = (k: TestMerchant, b = body) => ({
      'content-type': 'application/json',
      'x-api-key': k.apiKey,
      'x-signature': sign(k.apiSecret, b),
    });
    const cases: [string, Record<string, string>, string, number, string][] = [
      ['bad signature', { ...signed(m), 'x-signature': '00'.repeat(32) }, body, 401, 'invalid_signature'],
      [
        'unknown key',
        { ...signed(m), 'x-api-key': `sk_test_${'0'.repeat(32)}` },
        body,
        401,
        'invalid_api_key',
      ],
      [
        'bad bearer',
        { 'content-type': 'application/json', authorization: 'Bearer nope' },
        body,
        401,
        'invalid_token',
      ],
      ['allow-list', signed(fenced), body, 403, 'ip_not_allowed'],
      ['not JSON', signed(m, '{"query": '), '{"query": ', 400, 'invalid_request'],
      ['empty body', { 'content-type': 'application/json' }, '', 400, 'invalid_request'],
      [
        'too large',
        signed(m, JSON.stringify({ query: `{ viewer { id } } #${'x'.repeat(70_000)}` })),
        JSON.stringify({ query: `{ viewer { id } } #${'x'.repeat(70_000)}` }),
        413,
        'payload_too_large',
      ],
    ];
    for (const accept of [GRAPHQL_JSON, 'application/json']) {
      for (const [what, headers, payload, status, code] of cases) {
        const r = await post({ ...headers, accept }, payload);
        expect([what, r.status], accept).toEqual([what, status]);
        expect(r.type, what).toBe(`${accept}; charset=utf-8`);
        expectGraphqlError(r, code);
      }
    }
    // The rate limit: 429 with Retry-After, in GraphQL's shape.
    const burst = await Promise.all(
      [1, 2, 3].map(() => post({ ...signed(slow), accept: GRAPHQL_JSON }, body)),
    );
    const limited = burst.find((r) => r.status === 429)!;
    expectGraphqlError(limited, 'rate_limited');
    expect(Number(limited.res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A method /graphql does not take.
    const put = await t.app.server.inject({
      method: 'PUT',
      url: '/graphql',
      headers: { accept: GRAPHQL_JSON },
    });
    expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, HEAD, POST, OPTIONS']);
    expectGraphqlError({ body: put.json() }, 'method_not_allowed');
    // Yoga's own refusals get the code of the shared list that has their status.
    const getMutation = await t.app.server.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { __typename }')}`,
      headers: { accept: GRAPHQL_JSON },
    });
    expect(getMutation.statusCode).toBe(405);
    expectGraphqlError({ body: getMutation.json() }, 'method_not_allowed');
    // REST keeps its own body for the same refusal.
    const rest = await t.request({ url: '/api/v1/balance/u', as: { ...m, apiSecret: '0'.repeat(64) } });
    expect(rest.body).toEqual({ error: expect.objectContaining({ code: 'invalid_signature' }) });
  });

  it('refuses a document over the limits as a request error: 400, no data, no "Syntax Error"', async () => {
    const m = await t.merchant();
    const ask = async (query: string, accept: string) => {
      const payload = JSON.stringify({ query });
      return post({ 'content-type': 'application/json', accept, ...signedBy(m, payload) }, payload);
    };
    const page = 'transactions(first: 100) { edges { node { id metadata } } }';
    const complex = `{ ${[1, 2, 3, 4, 5].map((i) => `a${i}: ${page}`).join(' ')} }`;
    const deep = '{ user(userId: "u") { transactions { edges { node { id } } } } }'; // 5 levels, the limit is 4
    for (const [query, message] of [
      [complex, /^Query complexity of \d+ exceeds max complexity of 2000$/],
      [deep, /^Query depth limit of 4 exceeded, found 5\.$/],
    ] as const) {
      const strict = await ask(query, GRAPHQL_JSON);
      expect(strict.status).toBe(400);
      expect(strict.body.data).toBeUndefined();
      expect(strict.body.errors[0].message).toMatch(message);
      expect(strict.body.errors[0].extensions).toMatchObject({
        code: 'invalid_request',
        requestId: expect.stringMatching(/^req_/),
      });
      // The legacy media type answers request errors with 200, as the spec asks.
      const legacy = await ask(query, 'application/json');
      expect([legacy.status, legacy.body.errors[0].message]).toEqual([200, strict.body.errors[0].message]);
    }
    // The same text with `first: $n` is measured with each request's variables: allowed, refused, allowed.
    const byVariable = `query($n: Int!) { ${[1, 2, 3, 4, 5].map((i) => `a${i}: ${page.replace('100', '$n')}`).join(' ')} }`;
    for (const [n, status] of [
      [1, 200],
      [100, 400],
      [1, 200],
    ] as const) {
      const payload = JSON.stringify({ query: byVariable, variables: { n } });
      const r = await post(
        { 'content-type': 'application/json', accept: GRAPHQL_JSON, ...signedBy(m, payload) },
        payload,
      );
      expect([n, r.status]).toEqual([n, status]);
      if (status === 400) expect(r.body.errors[0].message).toMatch(/^Query complexity of \d+ exceeds/);
      else expect(r.body.data.a1.edges).toEqual([]);
    }
  });

  it('lets urql show the server\'s message and code for a refused signature, not "[Network] Unauthorized"', async () => {
    const m = await t.merchant();
    const client = createClient({
      url,
      exchanges: [cacheExchange, fetchExchange],
      fetch: signingFetch(m, '0'.repeat(64)),
      preferGetMethod: false,
    });
    const refused = await client.query('{ viewer { id } }', {}).toPromise();
    expect(refused.error?.networkError).toBeUndefined();
    expect(refused.error?.graphQLErrors[0]?.extensions.code).toBe('invalid_signature');
    expect(refused.error?.message).toBe('[GraphQL] The signature does not match the request body');
    const ok = await createClient({
      url,
      exchanges: [fetchExchange],
      fetch: signingFetch(m),
      preferGetMethod: false,
    })
      .query('{ viewer { id mode } }', {})
      .toPromise();
    expect(ok.data).toEqual({ viewer: { id: m.merchantId, mode: 'TEST' } });
  });

  it('gives a refused browser request on an allowed origin the CORS headers to read why', async () => {
    const r = await post(
      { 'content-type': 'application/json', authorization: 'Bearer nope', origin: 'https://shop.example' },
      JSON.stringify({ query: '{ __typename }' }),
    );
    expect(r.status).toBe(401);
    expect(r.res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(String(r.res.headers['access-control-expose-headers'])).toContain('retry-after');
    const other = await post(
      { 'content-type': 'application/json', authorization: 'Bearer nope', origin: 'https://evil.example' },
      JSON.stringify({ query: '{ __typename }' }),
    );
    expect(other.res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
