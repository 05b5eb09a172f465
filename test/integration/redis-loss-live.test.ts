import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { injectTransfer } from '../helpers/inject.js';
import { useInstances } from '../helpers/instances.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, wsClient } from '../helpers/ws.js';

// Redis restarted empty, or flushed, under a running API-and-worker process: live subscriptions go on without
// a restart of the API (the pub/sub connections re-subscribe), and rate limits answer 200 or 429, never 500.

const t = useInstances();

async function setUp(role: 'all' | 'api', rateLimitPerSecond = 100_000) {
  const { app, wsUrl } = await t.instance(`novapay-test:${randomBytes(4).toString('hex')}`, role);
  const m = await app.services.merchants.createMerchant('Live');
  const key = await app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond });
  await app.services.ledger.adjust(
    { merchantId: m.id, mode: 'test' },
    { userId: 'payer', amount: '1000', direction: 'credit', reason: 'fund', actor: 'test' },
  );
  return { app, wsUrl, key };
}

describe('after Redis restarts empty or is flushed', () => {
  it('a live subscription keeps receiving, with no restart of the API', { timeout: 60_000 }, async () => {
    const { app, wsUrl, key } = await setUp('all');
    const c = wsClient(wsUrl, keyInit(key));
    const sub = c.subscribe<{ balanceUpdated: { balance: string } }>(
      'subscription { balanceUpdated(userId: "payee") { balance } }',
    );
    const pay = async () =>
      expect(
        (await injectTransfer(app, key, { fromUserId: 'payer', toUserId: 'payee', amount: 1 })).statusCode,
      ).toBe(200);
    // Until the first update arrives the subscription may not be live yet: pay until it does.
    await eventually(
      async () => {
        await pay();
        return sub.values.length > 0;
      },
      15_000,
      200,
    );
    for (const lose of [
      () => t.redis.flushAll(),
      async () => {
        await t.redis.stop();
        await t.redis.start();
      },
    ]) {
      await lose();
      const seen = sub.values.length;
      await eventually(
        async () => {
          await pay();
          return sub.values.length > seen;
        },
        30_000,
        500,
      );
    }
    expect(sub.errors).toEqual([]);
    c.dispose();
  });

  it('rate limits answer 200 or 429 while Redis is away and after it comes back empty, never 500', {
    timeout: 30_000,
  }, async () => {
    const { app, key } = await setUp('api', 5);
    const burst = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await app.server.inject({
          url: '/api/v1/balance/payer',
          headers: { 'x-api-key': key.apiKey, 'x-signature': hmacSha256Hex(key.apiSecret, '') },
        });
        statuses.push(res.statusCode);
      }
      return statuses;
    };
    const phases = [await burst()];
    await t.redis.flushAll();
    phases.push(await burst());
    await t.redis.stop();
    phases.push(await burst());
    await t.redis.start();
    phases.push(await burst());
    for (const statuses of phases) {
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      expect(statuses).toContain(429); // still limited, in Redis or in the process
    }
  });
});
