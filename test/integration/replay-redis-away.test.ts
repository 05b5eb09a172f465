import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { useInstances } from '../helpers/instances.js';

// While Redis is away, a version-2 signature is still accepted once across every API instance: the replay
// record is in PostgreSQL. Before, each instance remembered in its own memory only the signatures it had seen
// during the outage, so a captured transfer sent to a second instance (or one first used before the outage,
// sent again to the same instance) moved the money again.

const t = useInstances();

function transferSender(key: { apiKey: string; apiSecret: string }, body: string) {
  const ts = Math.floor(Date.now() / 1000);
  const sig = hmacSha256Hex(key.apiSecret, `${ts}\nPOST\n/api/v1/transfer\n${body}`);
  return async (app: App) => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/api/v1/transfer',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-api-key': key.apiKey,
        'x-signature': sig,
        'x-timestamp': String(ts),
        'x-signature-version': '2',
      },
    });
    return [res.statusCode, res.json().error?.code];
  };
}

describe('a captured version-2 transfer while Redis is away', () => {
  it('is refused by every instance, whether first sent before or during the outage', async () => {
    const prefix = `novapay-test:${randomBytes(4).toString('hex')}`;
    const [a, b] = [(await t.instance(prefix)).app, (await t.instance(prefix)).app];
    const m = await a.services.merchants.createMerchant('Away');
    const key = await a.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 100_000 });
    const tenant = { merchantId: m.id, mode: 'test' as const };
    await a.services.ledger.adjust(tenant, {
      userId: 'payer',
      amount: '10',
      direction: 'credit',
      reason: 'fund',
      actor: 'test',
    });
    const transfer = (n: number) =>
      transferSender(key, JSON.stringify({ fromUserId: 'payer', toUserId: 'thief', amount: n }));
    const beforeOutage = transfer(1);
    expect(await beforeOutage(a)).toEqual([200, undefined]);
    await t.redis.stop();
    const duringOutage = transfer(2);
    expect(await duringOutage(a)).toEqual([200, undefined]); // payments go on without Redis
    for (const app of [a, b]) {
      expect(await beforeOutage(app)).toEqual([401, 'invalid_signature']);
      expect(await duringOutage(app)).toEqual([401, 'invalid_signature']);
    }
    await t.redis.start();
    expect(await duringOutage(b)).toEqual([401, 'invalid_signature']);
    // Exactly 1 + 2 of the 10 moved.
    const payer = (await a.services.ledger.balance(tenant, 'payer')).balanceMinor;
    const thief = (await a.services.ledger.balance(tenant, 'thief')).balanceMinor;
    expect([thief * 10n, payer * 10n]).toEqual([(payer + thief) * 3n, (payer + thief) * 7n]);
  });
});
