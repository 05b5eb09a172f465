import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/context.js';
import { createServer } from '../../src/http/server.js';
import { createLogger } from '../../src/lib/logger.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';

// Bad input gets a clear 4xx with the right code and field, never a 500 and never a partial change.
const t = useTestApp();

async function ledgerCounts() {
  const r = await t.app.pool.query(
    'select (select count(*) from ledger_transactions)::int as tx, (select count(*) from accounts)::int as accounts',
  );
  return r.rows[0];
}

async function transferRaw(m: TestMerchant, rawBody: string) {
  const r = await t.request({ url: '/api/v1/transfer', as: m, rawBody });
  return { status: r.status, code: r.body?.error?.code, param: r.body?.error?.param };
}

describe('transfer input validation', () => {
  it('answers each kind of bad input with the right 4xx and changes nothing', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '100');
    const before = await ledgerCounts();
    const body = (amount: string, extra = '') =>
      `{"fromUserId":"payer","toUserId":"payee","amount":${amount}${extra}}`;
    const cases: [string, number, string, string | undefined][] = [
      [body('1.001'), 400, 'invalid_amount', 'amount'],
      [body('0'), 400, 'invalid_amount', 'amount'],
      [body('0.00'), 400, 'invalid_amount', 'amount'],
      [body('-5'), 400, 'invalid_amount', 'amount'],
      [body('1e21'), 400, 'invalid_amount', 'amount'],
      [body('1E2'), 400, 'invalid_amount', 'amount'],
      [body('"abc"'), 400, 'invalid_amount', 'amount'],
      [body('"NaN"'), 400, 'invalid_amount', 'amount'],
      [body('"Infinity"'), 400, 'invalid_amount', 'amount'],
      [body('" "'), 400, 'invalid_amount', 'amount'],
      [body('null'), 400, 'invalid_amount', 'amount'],
      [body('true'), 400, 'invalid_amount', 'amount'],
      [body('[1]'), 400, 'invalid_amount', 'amount'],
      [body('{"v":1}'), 400, 'invalid_amount', 'amount'],
      [body('100.000000000000000001'), 400, 'invalid_amount', 'amount'],
      [body('10000000000000'), 400, 'invalid_amount', 'amount'],
      [body('NaN'), 400, 'invalid_request', undefined],
      ['{"toUserId":"payee","amount":1}', 400, 'invalid_request', 'fromUserId'],
      ['{"fromUserId":"payer","amount":1}', 400, 'invalid_request', 'toUserId'],
      ['{"fromUserId":"payer","toUserId":"payee"}', 400, 'invalid_amount', 'amount'],
      ['{"fromUserId":42,"toUserId":"payee","amount":1}', 400, 'invalid_request', 'fromUserId'],
      ['{"fromUserId":"payer","toUserId":"payee","amout":1}', 400, 'invalid_request', 'amout'],
      [body('1', ',"description":7'), 400, 'invalid_request', 'description'],
      [body('1', `,"description":"${'x'.repeat(501)}"`), 400, 'invalid_request', 'description'],
      [body('1', ',"metadata":"x"'), 400, 'invalid_request', 'metadata'],
      [body('1', ',"metadata":{"nested":{"a":1}}'), 400, 'invalid_request', 'metadata.nested'],
      // Numbers a double would change (stored, echoed and sent in webhooks rounded): refused, not rounded.
      [body('1', ',"metadata":{"orderId":12345678901234567}'), 400, 'invalid_request', 'metadata.orderId'],
      [body('1', ',"metadata":{"x":0.1000000000000000055}'), 400, 'invalid_request', 'metadata.x'],
      // A number of 60,000 digits (the body limit is 64 KB) is refused for its length, not examined digit by digit.
      [body('1', `,"metadata":{"x":1.${'0'.repeat(60_000)}1}`), 400, 'invalid_request', 'metadata.x'],
      [
        body('1', `,"metadata":{${Array.from({ length: 21 }, (_, i) => `"k${i}":1`).join(',')}}`),
        400,
        'invalid_request',
        'metadata',
      ],
      ['{"fromUserId":"payer","toUserId":"pay ee","amount":1}', 400, 'invalid_request', 'toUserId'],
      [
        `{"fromUserId":"payer","toUserId":"${'u'.repeat(65)}","amount":1}`,
        400,
        'invalid_request',
        'toUserId',
      ],
      ['{"fromUserId":"payer","toUserId":"payer","amount":1}', 400, 'same_user', 'toUserId'],
      ['[1,2]', 400, 'invalid_request', undefined],
      ['"just a string"', 400, 'invalid_request', undefined],
      ['{"fromUserId":', 400, 'invalid_request', undefined],
      ['', 400, 'invalid_request', undefined],
      [body('100.01'), 400, 'insufficient_funds', 'amount'],
      ['{"fromUserId":"ghost","toUserId":"payee","amount":1}', 404, 'not_found', 'fromUserId'],
    ];
    for (const [raw, status, code, param] of cases) {
      const r = await transferRaw(m, raw);
      expect({ raw, ...r }).toEqual({ raw, status, code, param });
    }
    expect(await ledgerCounts()).toEqual(before);
    const bal = await t.request({ url: '/api/v1/balance/payer', as: m });
    expect(bal.body.balance).toBe(100);
    expect((await t.request({ url: '/api/v1/balance/payee', as: m })).status).toBe(404);
  });

  it('takes decimal strings and exact numbers, and keeps cents exact', async () => {
    const m = await t.merchant();
    await t.credit(m, 'p', '0.30');
    for (const amount of ['0.1', '"0.10"', '0.10']) {
      const r = await transferRaw(m, `{"fromUserId":"p","toUserId":"q","amount":${amount}}`);
      expect(r.status).toBe(200);
    }
    const p = await t.request({ url: '/api/v1/balance/p', as: m });
    const q = await t.request({ url: '/api/v1/balance/q', as: m });
    expect([p.body.balance, q.body.balance]).toEqual([0, 0.3]);
  });

  it('keeps metadata numbers exactly or refuses them, on REST and through GraphQL variables and literals', async () => {
    const m = await t.merchant();
    await t.credit(m, 'mp', '10');
    const before = await ledgerCounts();
    const exact = '{"a":9007199254740991,"b":1.10,"c":1e3,"d":-0.5,"e":"12345678901234567"}';
    const kept = { a: 9007199254740991, b: 1.1, c: 1000, d: -0.5, e: '12345678901234567' };
    const rest = await t.request({
      url: '/api/v1/transfer',
      as: m,
      rawBody: `{"fromUserId":"mp","toUserId":"mq","amount":1,"metadata":${exact}}`,
    });
    expect([rest.status, rest.body.metadata]).toEqual([200, kept]);
    const gql = (rawBody: string) => t.request({ url: '/graphql', as: m, rawBody });
    const TRANSFER = `mutation($input: TransferInput!) { transfer(input: $input) {
      __typename ... on Transfer { metadata } ... on Error { code param } } }`;
    const viaVariables = (metadata: string) =>
      gql(
        JSON.stringify({
          query: TRANSFER,
          variables: { input: { fromUserId: 'mp', toUserId: 'mq', amount: '1', metadata: '@' } },
        }).replace('"@"', metadata),
      );
    expect((await viaVariables(exact)).body.data.transfer).toEqual({
      __typename: 'Transfer',
      metadata: kept,
    });
    const inline = (n: string) =>
      gql(
        JSON.stringify({
          query: `mutation { transfer(input: {fromUserId: "mp", toUserId: "mq", amount: "1", metadata: {n: ${n}}}) {
            __typename ... on Transfer { metadata } ... on Error { code param } } }`,
        }),
      );
    expect((await inline('1.10')).body.data.transfer).toEqual({
      __typename: 'Transfer',
      metadata: { n: 1.1 },
    });
    const refused = { __typename: 'ValidationError', code: 'invalid_request', param: 'metadata.n' };
    const afterExact = await ledgerCounts();
    expect((await viaVariables('{"n":12345678901234567}')).body.data.transfer).toEqual(refused);
    expect((await viaVariables('{"n":0.1000000000000000055}')).body.data.transfer).toEqual(refused);
    expect((await inline('9007199254740993')).body.data.transfer).toEqual(refused);
    expect(afterExact.tx).toBe(before.tx + 3);
    expect(await ledgerCounts()).toEqual(afterExact);
  });

  it('refuses a body over 64 KB with 413 and a non-JSON content type with 400', async () => {
    const m = await t.merchant();
    const big = JSON.stringify({
      fromUserId: 'a',
      toUserId: 'b',
      amount: 1,
      description: 'x'.repeat(100 * 1024),
    });
    const r = await t.request({ url: '/api/v1/transfer', as: m, rawBody: big });
    expect([r.status, r.body.error.code]).toEqual([413, 'payload_too_large']);
    expect(r.body.error.message).toBe('The request body is larger than 64 KB');
    const text = await t.request({
      method: 'POST',
      url: '/api/v1/transfer',
      as: m,
      rawBody: 'amount=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect([text.status, text.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('names the configured body limit in the 413 message', async () => {
    const config = { ...loadConfig({ MASTER_KEY: 'ab'.repeat(32) }), bodyLimitBytes: 2048 };
    const server = createServer({ config, log: createLogger('silent') } as Services);
    server.post('/echo', async (req) => req.body);
    try {
      const payload = JSON.stringify({ text: 'x'.repeat(3000) });
      const res = await server.inject({
        method: 'POST',
        url: '/echo',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatchObject({
        code: 'payload_too_large',
        message: 'The request body is larger than 2 KB',
      });
      const small = await server.inject({
        method: 'POST',
        url: '/echo',
        payload: '{"ok":true}',
        headers: { 'content-type': 'application/json' },
      });
      expect(small.json()).toEqual({ ok: true });
    } finally {
      await server.close();
    }
  });

  it('validates balance and history parameters', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u1', '5');
    const cases: [string, number, string, string | undefined][] = [
      ['/api/v1/balance/nobody', 404, 'not_found', 'userId'],
      ['/api/v1/balance/bad%20id', 400, 'invalid_request', 'userId'],
      ['/api/v1/transactions?userId=nobody', 404, 'not_found', 'userId'],
      ['/api/v1/transactions?limit=0', 400, 'invalid_request', 'limit'],
      ['/api/v1/transactions?limit=101', 400, 'invalid_request', 'limit'],
      ['/api/v1/transactions?limit=abc', 400, 'invalid_request', 'limit'],
      ['/api/v1/transactions?page=0', 400, 'invalid_request', 'page'],
      ['/api/v1/transactions?page=-1', 400, 'invalid_request', 'page'],
      ['/api/v1/transactions?type=bogus', 400, 'invalid_request', 'type'],
      ['/api/v1/transactions?from=yesterday', 400, 'invalid_request', 'from'],
      ['/api/v1/transactions?from=2025-03-06junk', 400, 'invalid_request', 'from'],
      ['/api/v1/transactions?from=2025-03-06&to=2025-03-01', 400, 'invalid_request', 'from'],
      ['/api/v1/transactions?from=2025-03-06&to=2025-03-06', 400, 'invalid_request', 'from'], // docs/openapi.yaml: `to` is after `from`
      ['/api/v1/transactions?usrId=u1', 400, 'invalid_request', 'usrId'],
      ['/api/v1/transactions?limit=1&limit=2', 400, 'invalid_request', 'limit'],
      // Times outside years 0000-9999 once in UTC (24:00 of the last day, a zone before year 0): REST's
      // query went through GraphQL's DateTime, which answered "Variable $filter got invalid value" and no param.
      ['/api/v1/transactions?from=9999-12-31T24:00', 400, 'invalid_request', 'from'],
      ['/api/v1/transactions?to=9999-12-31T23:30:00-01:00', 400, 'invalid_request', 'to'],
      ['/api/v1/transactions?from=0000-01-01T00:00:00%2B01:00', 400, 'invalid_request', 'from'],
    ];
    for (const [url, status, code, param] of cases) {
      const r = await t.request({ url, as: m });
      expect({ url, status: r.status, code: r.body.error?.code, param: r.body.error?.param }).toEqual({
        url,
        status,
        code,
        param,
      });
    }
    const ok = await t.request({
      url: '/api/v1/transactions?type=adjustment&from=2020-01-01&to=2999-01-01',
      as: m,
    });
    expect(ok.body.total).toBe(1);
    // 0001-01-01 (.NET's DateTime.MinValue) as the lower bound: every transaction since.
    const sinceYearOne = await t.request({
      url: '/api/v1/transactions?type=adjustment&from=0001-01-01',
      as: m,
    });
    expect([sinceYearOne.status, sinceYearOne.body.total]).toEqual([200, 1]);
  });
});
