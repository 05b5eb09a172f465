import { afterAll, describe, expect, it } from 'vitest';
import { pressureKey, publishLedgerPressure } from '../../src/modules/ledger/index.js';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// Webhook delivery yields to the money path (issue 13, src/modules/webhooks/delivery/yielding.ts): while a
// ledger reports pressure in Redis, a worker paces its deliveries (down to WEBHOOK_YIELD_MIN_PER_SECOND) and
// every delivery still arrives; once the report lapses (or Redis loses it) it is unpaced again.

const MIN_PER_SECOND = 20;
const t = useTestApp(
  {
    webhookConcurrency: 8,
    webhookYieldMinPerSecond: MIN_PER_SECOND,
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

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const dispatcher = () => t.app.workers!.webhooks.dispatcher;

/** Keeps the pressure key alive as a pressured ledger does (three windows' life, renewed every window). */
function pressured(): () => void {
  const key = pressureKey(t.app.config.redisPrefix);
  const timer = setInterval(() => void t.app.redis.set(key, '2.00', 'PX', 300), 50);
  return () => clearInterval(timer);
}

describe('webhook delivery yields to a pressured ledger', () => {
  it('paces deliveries while a ledger reports pressure, loses nothing, and is unpaced once it lapses', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const r = await receiver();
    await subscribe(t, m, r.url);
    const release = pressured();
    try {
      // Nothing was being delivered when the pressure came: paced at the minimum.
      await eventually(() => dispatcher().budget.rate === MIN_PER_SECOND, 5000, 10);
      await payerTransfers(t, m, 16);
      await eventually(() => r.received.length === 16, 20_000, 20);
      // 16 deliveries at 20 a second, with at most one tick's worth (2) banked: at least 0.65 s apart.
      const span = r.received[15]!.at - r.received[0]!.at;
      expect(span).toBeGreaterThanOrEqual(((16 - 1 - 2) / MIN_PER_SECOND) * 1000 - 20);
      expect(dispatcher().budget.stats.pressured).toBeGreaterThan(0);
    } finally {
      release();
    }

    // The report lapses (a quiet ledger, a process gone, or Redis without its data): unpaced again.
    await t.app.redis.del(pressureKey(t.app.config.redisPrefix));
    await eventually(() => !dispatcher().budget.paced, 10_000, 10);
    await payerTransfers(t, m, 24);
    await eventually(() => r.received.length === 40, 20_000, 20);
    expect([...r.countsById().values()].every((n) => n === 1)).toBe(true);
  });

  it('does not pace a failing endpoint’s deliveries (they cost the ledger little: mostly waits)', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const failing = await receiver();
    failing.setResponder(() => 500);
    await subscribe(t, m, failing.url);
    await payerTransfers(t, m, 1); // its first attempt fails: the endpoint is failing from now on
    await eventually(() => failing.received.length === 1, 10_000, 20);
    const release = pressured();
    try {
      await eventually(() => dispatcher().budget.rate === MIN_PER_SECOND, 5000, 10);
      const spentBefore = dispatcher().budget.stats.spent;
      await payerTransfers(t, m, 6);
      await eventually(() => failing.received.length === 7, 20_000, 20);
      expect(dispatcher().budget.stats.spent).toBe(spentBefore); // none of the six counted against the pace
    } finally {
      release();
    }
  });

  it('a process whose ledger batches slow by half again publishes the pressure, and it lapses on its own', async () => {
    const durations: ((ms: number) => void)[] = [];
    const pub = publishLedgerPressure(
      2,
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
