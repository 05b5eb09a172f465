import { afterAll, describe, expect, it } from 'vitest';
import { pressureKey, publishLedgerPressure } from '../../src/modules/ledger/index.js';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// Webhook delivery yields to the money path (issue 13, src/modules/webhooks/delivery/yielding.ts): while a
// ledger reports pressure in Redis, a worker has at most WEBHOOK_MIN_CONCURRENCY deliveries in flight, and
// every delivery still arrives; once the report lapses (or Redis loses it) it is back at WEBHOOK_CONCURRENCY.

const HANG_MS = 150;
const t = useTestApp(
  {
    webhookConcurrency: 8,
    webhookMinConcurrency: 2,
    webhookPerEndpointConcurrency: 8,
    outboxPollMs: 100,
    webhookTimeoutMs: 5000,
  },
  { role: 'all' },
);
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

/** A receiver that answers each POST after HANG_MS and records the most it had in flight at once. */
async function slowReceiver() {
  const r = await startReceiver();
  receivers.push(r);
  const seen = { now: 0, max: 0 };
  r.setResponder(() => {
    seen.now++;
    seen.max = Math.max(seen.max, seen.now);
    setTimeout(() => seen.now--, HANG_MS);
    return 'hang';
  }, HANG_MS);
  return { r, seen };
}

const dispatcher = () => t.app.workers!.webhooks.dispatcher;

describe('webhook delivery yields to a pressured ledger', () => {
  it('sends at most the minimum at once while a ledger reports pressure, loses nothing, and recovers', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const { r, seen } = await slowReceiver();
    await subscribe(t, m, r.url);
    const key = pressureKey(t.app.config.redisPrefix);

    // A pressured ledger keeps the key alive (three windows' life, renewed every window).
    const report = setInterval(() => void t.app.redis.set(key, '2.00', 'PX', 300), 50);
    try {
      await eventually(() => dispatcher().budget.limit === 2, 5000, 10);
      await payerTransfers(t, m, 16);
      await eventually(() => r.received.length === 16, 20_000, 20);
      expect(seen.max).toBeLessThanOrEqual(2);
      expect(dispatcher().budget.stats.pressured).toBeGreaterThan(0);
    } finally {
      clearInterval(report);
    }

    // The report lapses (a quiet ledger, a process gone, or Redis without its data): full concurrency again.
    await t.app.redis.del(key);
    await eventually(() => dispatcher().budget.limit === 8, 5000, 10);
    seen.max = 0;
    await payerTransfers(t, m, 24);
    await eventually(() => r.received.length === 40, 20_000, 20);
    expect(seen.max).toBeGreaterThan(2);
    expect([...r.countsById().values()].every((n) => n === 1)).toBe(true);
  });

  it('a failing endpoint’s slot does not count against the yielding budget of the healthy ones', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const failing = await startReceiver();
    receivers.push(failing);
    failing.setResponder(() => 500);
    const healthy = await slowReceiver();
    await subscribe(t, m, failing.url);
    await subscribe(t, m, healthy.r.url);
    const key = pressureKey(t.app.config.redisPrefix);
    const report = setInterval(() => void t.app.redis.set(key, '2.00', 'PX', 300), 50);
    try {
      await eventually(() => dispatcher().budget.limit === 2, 5000, 10);
      await payerTransfers(t, m, 1); // its first attempt fails: the endpoint is failing (one slot)
      await eventually(() => failing.received.length === 1 && healthy.r.received.length === 1, 10_000, 20);
      failing.setResponder(() => 'hang', 3000); // and now holds its one slot for seconds at a time
      healthy.seen.max = 0;
      await payerTransfers(t, m, 8);
      await eventually(() => healthy.r.received.length === 9, 20_000, 20);
      expect(failing.received.length).toBeGreaterThanOrEqual(2); // it was holding a slot meanwhile
      expect(healthy.seen.max).toBe(2); // the whole budget, not what the failing endpoint left of it
    } finally {
      clearInterval(report);
    }
  });

  it('a process whose ledger batches slow by half again publishes the pressure, and it lapses on its own', async () => {
    const durations: ((ms: number) => void)[] = [];
    const pub = publishLedgerPressure(
      (fn) => durations.push(fn),
      t.app.redis,
      `${t.app.config.redisPrefix}:probe`,
      t.app.log,
    );
    const key = pressureKey(`${t.app.config.redisPrefix}:probe`);
    const feed = (ms: number) =>
      setInterval(() => {
        for (const fn of durations) fn(ms);
      }, 5);
    try {
      let batches = feed(4);
      await eventually(() => pub.pressure.floorMs !== null, 5000, 10);
      expect(await t.app.redis.get(key)).toBeNull();
      clearInterval(batches);
      batches = feed(12);
      const slowdown = await eventually(() => t.app.redis.get(key), 5000, 10);
      expect(Number(slowdown)).toBeGreaterThanOrEqual(1.5);
      clearInterval(batches);
      await eventually(async () => (await t.app.redis.get(key)) === null, 5000, 20);
    } finally {
      pub.stop();
    }
  });
});
