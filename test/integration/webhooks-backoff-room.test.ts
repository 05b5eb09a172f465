import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// Failing endpoints backing off must not starve the healthy ones. A dispatcher claims deliveries ahead
// (a few rounds per endpoint), up to a room shared by all its endpoints; an endpoint that started failing kept
// what it had claimed while it rested between probes, so a few failing endpoints filled the room and the
// healthy endpoints' new deliveries waited for the failing ones' probes (seconds, up to a minute: the
// webhooks bench's faults phase once delivered at p50 6.6 s). Resting endpoints give their deliveries back.
const PROBE_MS = 30_000; // longer than the test: before the fix the healthy endpoint waits this long
const t = useTestApp(
  {
    webhookConcurrency: 4, // the claim room: 4 × 4 = 16 deliveries
    webhookPerEndpointConcurrency: 4,
    webhookFailingProbeMs: PROBE_MS,
    webhookFailingProbeMaxMs: PROBE_MS,
    webhookRetryScheduleMs: [60_000],
    outboxPollMs: 100,
    webhookReconcileMs: 400,
  },
  { role: 'all' },
);
const receivers = useReceivers();

describe('endpoints backing off', () => {
  it('leave the claim room to the healthy endpoints', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const failing = await Promise.all([0, 1, 2].map(() => startReceiver()));
    const healthy = await startReceiver();
    receivers.push(...failing, healthy);
    for (const f of failing) {
      f.setResponder(() => 500);
      await subscribe(t, m, f.url);
    }
    await subscribe(t, m, healthy.url);

    // A burst: every endpoint has deliveries claimed ahead; the failing ones fail and start resting.
    await payerTransfers(t, m, 12);
    await eventually(
      () => healthy.received.length === 12 && failing.every((f) => f.received.length >= 1),
      10_000,
      10,
    );
    const ids = async () =>
      (
        await t.app.pool.query<{ n: number }>(
          `select count(*)::int as n from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
           where e.url = any($1) and d.status = 'pending'`,
          [failing.map((f) => f.url)],
        )
      ).rows[0]!.n;
    expect(await ids()).toBe(36); // every failing endpoint's deliveries wait, none was dropped
    // What was in flight when each started failing (at most its cap of 4); nothing more while it rests.
    const sent = failing.map((f) => f.received.length);
    for (const n of sent) expect(n).toBeLessThanOrEqual(4);

    // Later events reach the healthy endpoint at once, long before any failing endpoint's next probe.
    const before = Date.now();
    await payerTransfers(t, m, 12);
    await eventually(() => healthy.received.length === 24, 10_000, 10);
    expect(Date.now() - before).toBeLessThan(PROBE_MS / 3);
    expect(failing.map((f) => f.received.length)).toEqual(sent); // still resting: nothing sent to them
    expect(await ids()).toBe(72);
  });
});
