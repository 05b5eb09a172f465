import { describe, expect, it } from 'vitest';
import { sign, useTestApp } from '../helpers/app.js';

const t = useTestApp();

async function status(res: Promise<{ status: number; body: any }>) {
  const r = await res;
  return [r.status, r.body?.error?.code];
}

describe('HMAC authentication', () => {
  it('accepts a valid signature of the raw body, and of the empty string for GET', async () => {
    const m = await t.merchant();
    await t.credit(m, 'alice', '10');
    expect((await t.request({ url: '/api/v1/balance/alice', as: m })).status).toBe(200);
    const raw = '{"fromUserId":"alice",  "toUserId":"bob","amount":1}'; // odd spacing: the raw bytes are signed
    expect((await t.request({ url: '/api/v1/transfer', as: m, rawBody: raw })).status).toBe(200);
  });

  it('refuses a missing, unknown, malformed or revoked key with 401', async () => {
    const m = await t.merchant();
    expect(await status(t.request({ url: '/api/v1/balance/x' }))).toEqual([401, 'missing_api_key']);
    const unknown = { ...m, apiKey: `sk_test_${'0'.repeat(32)}` };
    expect(await status(t.request({ url: '/api/v1/balance/x', as: unknown }))).toEqual([
      401,
      'invalid_api_key',
    ]);
    const malformed = { ...m, apiKey: 'sk_live_nope' };
    expect(await status(t.request({ url: '/api/v1/balance/x', as: malformed }))).toEqual([
      401,
      'invalid_api_key',
    ]);
    expect((await t.request({ url: '/api/v1/balance/x', as: m })).status).toBe(404);
    await t.app.services.merchants.revokeKey(m.keyId);
    expect(await status(t.request({ url: '/api/v1/balance/x', as: m }))).toEqual([401, 'invalid_api_key']);
  });

  it('refuses a wrong signature, a signature of another body, and a missing signature', async () => {
    const m = await t.merchant();
    const wrong = { ...m, apiSecret: 'f'.repeat(64) };
    expect(await status(t.request({ url: '/api/v1/balance/x', as: wrong }))).toEqual([
      401,
      'invalid_signature',
    ]);
    const body = JSON.stringify({ fromUserId: 'a', toUserId: 'b', amount: 1 });
    const other = JSON.stringify({ fromUserId: 'a', toUserId: 'b', amount: 1000 });
    const res = await t.request({
      url: '/api/v1/transfer',
      rawBody: body,
      headers: { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, other) },
    });
    expect([res.status, res.body.error.code]).toEqual([401, 'invalid_signature']);
    const unsigned = await t.request({ url: '/api/v1/balance/x', headers: { 'x-api-key': m.apiKey } });
    expect([unsigned.status, unsigned.body.error.code]).toEqual([401, 'invalid_signature']);
  });

  it('tells a client that signed `{}` for a GET that a GET signs the empty string', async () => {
    const m = await t.merchant();
    const asGet = (signed: string, extra: Record<string, string> = {}) =>
      t.request({
        url: '/api/v1/balance/x',
        headers: { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, signed), ...extra },
      });
    const res = await asGet('{}');
    expect([res.status, res.body.error.code]).toEqual([401, 'invalid_signature']);
    expect(res.body.error.message).toMatch(/a GET \(a request without a body\) signs the empty string/);
    const now = String(Math.floor(Date.now() / 1000));
    const timed = await asGet(`${now}.{}`, { 'x-timestamp': now });
    expect(timed.body.error.message).toMatch(/a GET \(a request without a body\) signs "<timestamp>\."/);
    // A POST whose body was signed wrong keeps the plain message.
    const post = await t.request({
      url: '/api/v1/transfer',
      rawBody: '{"fromUserId":"a","toUserId":"b","amount":1}',
      headers: { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, '{}') },
    });
    expect(post.body.error.message).toBe('The signature does not match the request body');
  });

  it('checks X-Timestamp: signed as "<t>.<body>", within 300 s, and mandatory when the key says so', async () => {
    const m = await t.merchant();
    const now = Math.floor(Date.now() / 1000);
    expect((await t.request({ url: '/api/v1/balance/x', as: m, timestamp: now })).status).toBe(404);
    expect(await status(t.request({ url: '/api/v1/balance/x', as: m, timestamp: now - 301 }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);
    expect(await status(t.request({ url: '/api/v1/balance/x', as: m, timestamp: now + 3600 }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);
    // A timestamp header with a signature of the body alone does not verify.
    const res = await t.request({
      url: '/api/v1/balance/x',
      headers: { 'x-api-key': m.apiKey, 'x-signature': sign(m.apiSecret, ''), 'x-timestamp': String(now) },
    });
    expect([res.status, res.body.error.code]).toEqual([401, 'invalid_signature']);
    const strict = await t.merchant('test', { requireTimestamp: true });
    expect(await status(t.request({ url: '/api/v1/balance/x', as: strict }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);
    expect((await t.request({ url: '/api/v1/balance/x', as: strict, timestamp: now })).status).toBe(404);
  });

  it('makes X-Timestamp mandatory for every key of a merchant whose settings say so', async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const merchants = t.app.services.merchants;
    const m = await merchants.createMerchant('Strict Shop', { requireTimestamp: true });
    const k = await merchants.createKey(m.id, 'test', { rateLimitPerSecond: 1000 });
    const strict = {
      merchantId: m.id,
      mode: 'test' as const,
      keyId: k.keyId,
      apiKey: k.apiKey,
      apiSecret: k.apiSecret,
    };
    expect(await status(t.request({ url: '/api/v1/balance/x', as: strict }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);
    const gql = await t.graphql(strict, '{ viewer { id } }');
    expect([gql.status, gql.body.errors[0].extensions.code]).toEqual([401, 'timestamp_out_of_range']);
    expect((await t.request({ url: '/api/v1/balance/x', as: strict, timestamp: now() })).status).toBe(404);

    // Switching the setting takes effect at once in this process (cached keys are dropped).
    const lax = await t.merchant();
    expect((await t.request({ url: '/api/v1/balance/x', as: lax })).status).toBe(404); // cached now
    const updated = await merchants.updateSettings(lax.merchantId, { requireTimestamp: true });
    expect(updated.requireTimestamp).toBe(true);
    expect(updated.withdrawalFeePercent).toBe('6');
    expect(await status(t.request({ url: '/api/v1/balance/x', as: lax }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);
    await merchants.updateSettings(lax.merchantId, { requireTimestamp: false });
    expect((await t.request({ url: '/api/v1/balance/x', as: lax })).status).toBe(404);
    // The key's own flag still holds when the merchant does not require it.
    const keyOnly = await t.merchant('test', { requireTimestamp: true });
    expect(await status(t.request({ url: '/api/v1/balance/x', as: keyOnly }))).toEqual([
      401,
      'timestamp_out_of_range',
    ]);

    await expect(
      merchants.updateSettings(lax.merchantId, { requireTimestamp: 'yes' as never }),
    ).rejects.toMatchObject({ code: 'invalid_request', param: 'requireTimestamp' });
    await expect(merchants.updateSettings('mer_nope', { requireTimestamp: true })).rejects.toMatchObject({
      code: 'not_found',
    });
    // Other stored overrides are kept by an update.
    const custom = await merchants.createMerchant('Custom Fee', { withdrawalFeePercent: '3' });
    const merged = await merchants.updateSettings(custom.id, { requireTimestamp: true });
    expect([merged.withdrawalFeePercent, merged.requireTimestamp]).toEqual(['3', true]);
  });

  it('enforces the IP allow-list for IPv4, IPv6 and IPv4-mapped addresses', async () => {
    const m = await t.merchant('test', { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(await status(t.request({ url: '/api/v1/balance/x', as: m, remoteAddress: '127.0.0.1' }))).toEqual([
      403,
      'ip_not_allowed',
    ]);
    expect((await t.request({ url: '/api/v1/balance/x', as: m, remoteAddress: '10.1.2.3' })).status).toBe(
      404,
    );
    expect((await t.request({ url: '/api/v1/balance/x', as: m, remoteAddress: '2001:db8::7' })).status).toBe(
      404,
    );
    expect(
      (await t.request({ url: '/api/v1/balance/x', as: m, remoteAddress: '::ffff:10.9.9.9' })).status,
    ).toBe(404);
    expect(
      await status(t.request({ url: '/api/v1/balance/x', as: m, remoteAddress: '2001:db9::1' })),
    ).toEqual([403, 'ip_not_allowed']);
  });

  it('rate-limits per key with 429, Retry-After and RateLimit headers', async () => {
    const m = await t.merchant('test', { rateLimitPerSecond: 3 });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.request({ url: '/api/v1/balance/x', as: m })),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(results.filter((r) => r.status === 404).length).toBeLessThanOrEqual(3);
    expect(limited[0]!.body.error.code).toBe('rate_limited');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers['ratelimit-limit']).toBe('3');
    // Another key of the same merchant has its own budget.
    const other = await t.app.services.merchants.createKey(m.merchantId, 'test', { rateLimitPerSecond: 3 });
    const ok = await t.request({
      url: '/api/v1/balance/x',
      as: { ...m, apiKey: other.apiKey, apiSecret: other.apiSecret },
    });
    expect(ok.status).toBe(404);
  });

  it('rate-limits anonymous /graphql requests per client address (ANONYMOUS_RATE_LIMIT_PER_SECOND, 50)', async () => {
    const anonymous = (remoteAddress: string) =>
      t.request({ url: '/graphql', body: { query: '{ __typename }' }, remoteAddress });
    const results = await Promise.all(Array.from({ length: 60 }, () => anonymous('203.0.113.7')));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(50);
    expect(limited[0]!.body.errors[0].extensions.code).toBe('rate_limited');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers['ratelimit-limit']).toBe('50');
    // Another address has its own budget, and a credential spends its own.
    expect((await anonymous('203.0.113.8')).body).toEqual({ data: { __typename: 'Query' } });
    const m = await t.merchant();
    const signed = await t.request({
      url: '/graphql',
      body: { query: '{ __typename }' },
      as: m,
      remoteAddress: '203.0.113.7',
    });
    expect(signed.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('authenticates /graphql with the same HMAC, or an admin bearer token', async () => {
    const m = await t.merchant();
    const viewer = await t.graphql(m, '{ viewer { id mode } }');
    expect(viewer.body.data.viewer).toEqual({ id: m.merchantId, mode: 'TEST' });
    const anon = await t.graphql(null, '{ viewer { id } }');
    expect(anon.body.errors[0].extensions.code).toBe('forbidden');
    const bad = await t.graphql({ ...m, apiSecret: '0'.repeat(64) }, '{ viewer { id } }');
    expect(bad.status).toBe(401);
    const { token } = await t.app.services.tokens.issueAdmin(60);
    const asAdmin = await t.graphql({ bearer: token }, '{ viewer { id } }');
    expect(asAdmin.body.errors[0].extensions.code).toBe('forbidden');
    const tampered = await t.graphql({ bearer: `${token.slice(0, -2)}xx` }, '{ __typename }');
    expect([tampered.status, tampered.body.errors[0].extensions.code]).toEqual([401, 'invalid_token']);
    const expired = await t.app.services.tokens.issueAdmin(-10);
    const late = await t.graphql({ bearer: expired.token }, '{ __typename }');
    expect([late.status, late.body.errors[0].extensions.code]).toEqual([401, 'invalid_token']);
  });

  it('answers unknown routes with a JSON 404 and a request id', async () => {
    const res = await t.request({ url: '/api/v1/nope' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });
});
