import { beforeAll, describe, expect, it } from 'vitest';
import { ReplayCache } from '../../src/http/replay-cache.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { sign, useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// Signature version 2 (issue 12): the legacy signature covers only the body, so a captured one is worth
// replaying; version 2 covers timestamp, method, path with query and body, and is accepted once.
const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

describe('signature version 2 over HTTP: timestamp, method, path and body, each signature once', () => {
  const v2 = (secret: string, ts: number, method: string, target: string, body = '') =>
    hmacSha256Hex(secret, `${ts}\n${method}\n${target}\n${body}`);
  const now = () => Math.floor(Date.now() / 1000);

  it('shows why: a version-1 GET signature is the same for every path', async () => {
    const m = await t.merchant();
    await t.credit(m, 'victim', '5');
    const captured = sign(m.apiSecret, ''); // e.g. from a logged GET /balance/x
    const replayed = await t.request({
      url: '/api/v1/balance/victim',
      headers: { 'x-api-key': m.apiKey, 'x-signature': captured },
    });
    expect(replayed.status).toBe(200); // the legacy scheme, kept as the page defines it
  });

  it('binds the signature to the method and path, and refuses it the second time', async () => {
    const m = await t.merchant();
    await t.credit(m, 'alice', '5');
    const ts = now();
    const headers = (sig: string, at = ts) => ({
      'x-api-key': m.apiKey,
      'x-signature': sig,
      'x-timestamp': String(at),
      'x-signature-version': '2',
    });
    const sig = v2(m.apiSecret, ts, 'GET', '/api/v1/balance/alice');
    const ok = await t.request({ url: '/api/v1/balance/alice', headers: headers(sig) });
    expect(ok.status).toBe(200);
    const again = await t.request({ url: '/api/v1/balance/alice', headers: headers(sig) });
    expect([again.status, again.body.error.code]).toEqual([401, 'invalid_signature']);
    expect(again.body.error.message).toMatch(/already used/);
    const otherPath = await t.request({ url: '/api/v1/balance/bob', headers: headers(sig) });
    expect([otherPath.status, otherPath.body.error.code]).toEqual([401, 'invalid_signature']);
    const noTimestamp = await t.request({
      url: '/api/v1/balance/alice',
      headers: { 'x-api-key': m.apiKey, 'x-signature': sig, 'x-signature-version': '2' },
    });
    expect(noTimestamp.body.error.code).toBe('timestamp_out_of_range');

    // A POST signs its body too: the query string and body are covered, a changed body is refused.
    const body = JSON.stringify({ fromUserId: 'alice', toUserId: 'bob', amount: 1 });
    const postSig = v2(m.apiSecret, ts, 'POST', '/api/v1/transfer', body);
    const post = await t.request({ url: '/api/v1/transfer', rawBody: body, headers: headers(postSig) });
    expect(post.status).toBe(200);
    const tampered = body.replace('"amount":1', '"amount":2');
    const bad = await t.request({
      url: '/api/v1/transfer',
      rawBody: tampered,
      headers: headers(postSig, ts),
    });
    expect(bad.body.error.code).toBe('invalid_signature');
    const replay = await t.request({ url: '/api/v1/transfer', rawBody: body, headers: headers(postSig) });
    expect(replay.body.error.code).toBe('invalid_signature');
    expect((await t.request({ url: '/api/v1/balance/alice', as: m })).body.balance).toBe(4);
  });

  it('is mandatory for a key set to version 2, on GraphQL too', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const v1 = await t.request({ url: '/api/v1/balance/x', as: m, timestamp: now() });
    expect([v1.status, v1.body.error.code]).toEqual([401, 'invalid_signature']);
    const gql = await t.graphql(m, '{ viewer { id } }');
    expect(gql.body.errors[0].extensions.code).toBe('timestamp_out_of_range');
    const ts = now();
    const payload = JSON.stringify({ query: '{ viewer { id } }' });
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      payload,
      headers: {
        'content-type': 'application/json',
        'x-api-key': m.apiKey,
        'x-timestamp': String(ts),
        'x-signature': v2(m.apiSecret, ts, 'POST', '/graphql', payload),
      },
    });
    expect(res.json().data.viewer.id).toBe(m.merchantId);
    await expect(
      t.app.services.merchants.createKey(m.merchantId, 'test', { signatureVersion: 3 }),
    ).rejects.toMatchObject({ code: 'invalid_request', param: 'signatureVersion' });
    // The setting can be changed later; rotation keeps it.
    const lax = await t.merchant();
    await t.app.services.merchants.updateKeySettings(lax.keyId, { signatureVersion: 2 });
    expect((await t.request({ url: '/api/v1/balance/x', as: lax })).body.error.code).toBe(
      'timestamp_out_of_range',
    );
    const rotated = await t.app.services.merchants.rotateKey(lax.keyId);
    const keys = await t.app.services.merchants.listKeys(lax.merchantId);
    expect(keys.find((k) => k.id === rotated.keyId)?.signatureVersion).toBe(2);
  });

  it('records each signature in PostgreSQL until its window is over, then purges it', async () => {
    const cache = new ReplayCache(t.app.pool);
    expect(await cache.firstUse('key_x:abc', 300)).toBe(true);
    expect(await cache.firstUse('key_x:abc', 300)).toBe(false);
    expect(await cache.firstUse('key_x:def', 1)).toBe(true);
    await t.app.pool.query(
      "update signature_uses set expires_at = now() - interval '1 second' where id = 'key_x:def'",
    );
    expect(await cache.purgeExpired()).toBe(1);
    const left = await t.app.pool.query("select id from signature_uses where id like 'key_x:%'");
    expect(left.rows).toEqual([{ id: 'key_x:abc' }]);
  });
});

describe('signature version 2 on the WebSocket', () => {
  it('signs the upgrade as a GET of /graphql, once; a version-2 key refuses the timestamp-only signature', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(Math.floor(Date.now() / 1000));
    const legacy = await rawSocket(wsUrl, {
      apiKey: m.apiKey,
      timestamp: ts,
      signature: hmacSha256Hex(m.apiSecret, ts),
    });
    expect(legacy.closed()).toEqual({ code: 4401, reason: 'invalid_signature' });
    const init = {
      apiKey: m.apiKey,
      timestamp: ts,
      signature: hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/graphql\n`),
    };
    const first = await rawSocket(wsUrl, init);
    expect(first.acked).toBe(true);
    const replayed = await rawSocket(wsUrl, init);
    expect(replayed.closed()).toEqual({ code: 4401, reason: 'invalid_signature' });
    first.close();
  });
});
