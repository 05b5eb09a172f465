import { beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// What signature_uses records is `<keyId>:<lower-case signature>`, after the timestamp and the HMAC are checked:
// one signed text has one id, whatever the hex's case, and a WebSocket init and a REST GET /graphql that sign
// the same text share it.

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const now = () => Math.floor(Date.now() / 1000);

describe('a version-2 signature has one record', () => {
  it('whatever the case of its hex', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    await t.credit(m, 'a', '1');
    const ts = now();
    const sig = hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/api/v1/balance/a\n`);
    const send = (s: string) =>
      t.request({
        url: '/api/v1/balance/a',
        headers: { 'x-api-key': m.apiKey, 'x-signature': s, 'x-timestamp': String(ts) },
      });
    expect((await send(sig.toUpperCase())).status).toBe(200);
    const again = await send(sig);
    expect([again.status, again.body.error?.code]).toEqual([401, 'invalid_signature']);
  });

  it('shared by a connection_init and a REST GET /graphql signing the same text', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(now());
    const signature = hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/graphql\n`);
    expect((await rawSocket(wsUrl, { apiKey: m.apiKey, timestamp: ts, signature })).acked).toBe(true);
    const rest = await t.request({
      url: '/graphql',
      headers: { 'x-api-key': m.apiKey, 'x-signature': signature, 'x-timestamp': ts },
    });
    expect([rest.status, rest.body.error?.code ?? rest.body.errors?.[0]?.extensions?.code]).toEqual([
      401,
      'invalid_signature',
    ]);
  });

  it('outlives its timestamp’s window by a minute, for API hosts whose clocks are behind', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    await t.credit(m, 'a', '1');
    const ts = now();
    const sig = hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/api/v1/balance/a\n`);
    const res = await t.request({
      url: '/api/v1/balance/a',
      headers: { 'x-api-key': m.apiKey, 'x-signature': sig, 'x-timestamp': String(ts) },
    });
    expect(res.status).toBe(200);
    const { rows } = await t.app.pool.query<{ past: number }>(
      'select extract(epoch from expires_at) - $2::bigint as past from signature_uses where id = $1',
      [`${m.keyId}:${sig}`, ts + t.app.config.timestampToleranceSeconds],
    );
    // A host 59 s behind accepts this timestamp until then on its own clock: the record must still be there.
    expect(Number(rows[0]!.past)).toBeGreaterThanOrEqual(59);
  });

  it('is not written for a bad HMAC or a timestamp out of the window', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    await t.credit(m, 'a', '1');
    const ts = now();
    const good = hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/api/v1/balance/a\n`);
    const stale = hmacSha256Hex(m.apiSecret, `${ts - 3600}\nGET\n/api/v1/balance/a\n`);
    const rows = async () =>
      (
        await t.app.pool.query('select count(*)::int as n from signature_uses where id like $1', [
          `${m.keyId}:%`,
        ])
      ).rows[0].n;
    const send = (s: string, at: number) =>
      t.request({
        url: '/api/v1/balance/a',
        headers: { 'x-api-key': m.apiKey, 'x-signature': s, 'x-timestamp': String(at) },
      });
    expect(
      (
        await send(
          good.replace(/^./, (c) => (c === '0' ? '1' : '0')),
          ts,
        )
      ).status,
    ).toBe(401);
    expect((await send(stale, ts - 3600)).status).toBe(401);
    expect(await rows()).toBe(0);
    expect((await send(good, ts)).status).toBe(200);
    expect(await rows()).toBe(1);
  });
});
