import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { rawSocket } from '../helpers/ws.js';

// A version-2 signature is accepted once. Redis remembers it, but Redis may come back empty (a restart without
// persistence, a failover, a flush) or be away: a captured request must not be accepted again then, above all
// one that moves money without an Idempotency-Key.
const t = useTestApp();
let redis: Redis;
let wsUrl = '';
beforeAll(async () => {
  redis = new Redis(loadConfig().redisUrl, { maxRetriesPerRequest: 1 });
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});
afterAll(() => redis?.disconnect());

/** Loses every key of this app as FLUSHALL would, touching no other test's keys. */
async function loseRedisData(): Promise<void> {
  const keys = await redis.keys(`${t.app.config.redisPrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

const now = () => Math.floor(Date.now() / 1000);

function signedTransfer(m: TestMerchant, body: string, ts = now()) {
  const sig = hmacSha256Hex(m.apiSecret, `${ts}\nPOST\n/api/v1/transfer\n${body}`);
  return () =>
    t.request({
      url: '/api/v1/transfer',
      rawBody: body,
      headers: {
        'x-api-key': m.apiKey,
        'x-signature': sig,
        'x-timestamp': String(ts),
        'x-signature-version': '2',
      },
    });
}

async function balance(m: TestMerchant, user: string): Promise<number> {
  return (await t.request({ url: `/api/v1/balance/${user}`, as: m })).body.balance;
}

describe('a captured version-2 request after Redis lost its data', () => {
  it('does not move money again (a transfer without an Idempotency-Key)', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const send = signedTransfer(m, JSON.stringify({ fromUserId: 'payer', toUserId: 'thief', amount: 3 }));
    expect((await send()).status).toBe(200);
    expect((await send()).body.error.code).toBe('invalid_signature');
    await loseRedisData();
    const replay = await send();
    expect([replay.status, replay.body.error?.code]).toEqual([401, 'invalid_signature']);
    expect(await balance(m, 'payer')).toBe(7);
    expect(await balance(m, 'thief')).toBe(3);
  });

  it('does not open a second merchant socket with a captured connection_init', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(now());
    const init = {
      apiKey: m.apiKey,
      timestamp: ts,
      signature: hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/graphql\n`),
    };
    const first = await rawSocket(wsUrl, init);
    expect(first.acked).toBe(true);
    first.close();
    await loseRedisData();
    const replayed = await rawSocket(wsUrl, init);
    expect(replayed.closed()).toEqual({ code: 4401, reason: 'invalid_signature' });
  });
});
