import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { anotherDispatcher, failingEndpoint, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A failing endpoint is backed off (src/modules/webhooks/delivery/backoff.ts): one probe at a time, the wait
// doubling from WEBHOOK_FAILING_PROBE_MS up to its max, its other deliveries left pending; a probe that
// succeeds lets the backlog flow. Retries due every 200 ms would otherwise keep it busy at full speed.
const PROBE_MS = 400;
const PER_ENDPOINT = 4;
const t = useTestApp(
  {
    webhookRetryScheduleMs: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    webhookFailingProbeMs: PROBE_MS,
    webhookFailingProbeMaxMs: 4 * PROBE_MS,
    webhookPerEndpointConcurrency: PER_ENDPOINT,
    webhookTimeoutMs: 2000,
    outboxPollMs: 100,
    webhookReconcileMs: 400,
  },
  { role: 'all' },
);
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
  for (const r of receivers) await r.close();
});

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

describe('a failing endpoint', () => {
  it('gets one probe at a time, spaced out, while a healthy one gets every delivery; then its whole backlog in order', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const { failing, id: ep } = await failingEndpoint(t, m, receivers);
    const healthy = await receiver();
    await subscribe(t, m, healthy.url);

    // It starts failing.
    await payerTransfers(t, m, 1);
    await eventually(() => failing.received.length >= 1, 10_000, 10);
    const failedAt = failing.received[0]!.at;

    // 20 more events, each fanned out to both endpoints: the healthy one has all of them at once.
    await payerTransfers(t, m, 20);
    await eventually(() => healthy.received.length === 21, 10_000, 10);
    const healthyDone = Date.now();
    // Full speed, the failing endpoint would have had 21 deliveries and their retries every ~200 ms by now.
    const windowMs = healthyDone - failedAt;
    expect(failing.received.length).toBeLessThanOrEqual(1 + Math.ceil(windowMs / PROBE_MS));
    expect(failing.received.length).toBeLessThan(10);

    // Probes keep coming, one at a time: 400, 800, 1600, 1600 ms apart (±timer slack), never sooner.
    await eventually(() => failing.received.length >= 5, 15_000, 10);
    const at = failing.received.slice(0, 5).map((r) => r.at);
    const gaps = at.slice(1).map((x, i) => x - at[i]!);
    const expected = [PROBE_MS, 2 * PROBE_MS, 4 * PROBE_MS, 4 * PROBE_MS];
    for (const [i, g] of gaps.entries()) expect(g, `gaps ${gaps}`).toBeGreaterThanOrEqual(expected[i]! - 50);
    expect(healthy.received.length).toBe(21);

    // It answers again: the next probe succeeds and every event arrives, the never-tried ones in order.
    const tried = new Set(failing.received.map((r) => r.json.id as string));
    const before = failing.received.length;
    failing.setResponder(() => 200);
    await eventually(() => new Set(failing.received.map((r) => r.json.id)).size === 21, 15_000, 10);
    const after = failing.received.slice(before).map((r) => r.json.id as string);
    const order = (
      await t.app.pool.query<{ id: string }>(
        `select e.id from webhook_deliveries d join events e on e.id = d.event_id
         where d.endpoint_id = $1 order by e.created_at, e.id`,
        [ep],
      )
    ).rows.map((r) => r.id);
    const fresh = after.filter((id) => !tried.has(id));
    const rank = fresh.map((id) => order.indexOf(id));
    // In order, give or take the endpoint's concurrent requests.
    const sorted = [...rank].sort((a, b) => a - b);
    for (const [i, r] of rank.entries())
      expect(Math.abs(r - sorted[i]!), `${rank}`).toBeLessThan(PER_ENDPOINT);

    // Each attempt logged, and each delivery succeeded once the endpoint answered.
    await eventually(async () => {
      const r = await t.app.pool.query(
        `select count(*) filter (where status = 'succeeded')::int as ok from webhook_deliveries where endpoint_id = $1`,
        [ep],
      );
      return r.rows[0].ok === 21;
    }, 10_000);
    const logged = await t.app.pool.query(
      'select count(*)::int as n from webhook_attempts where endpoint_id = $1',
      [ep],
    );
    expect(logged.rows[0].n).toBe(failing.received.length);
  });

  it('is handed to a worker that joins at once, not one queued delivery per probe', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const { failing, id: ep } = await failingEndpoint(t, m, receivers);
    const slow = await receiver();
    slow.setResponder(() => 'hang', 300); // a backlog that keeps it busy: two busy endpoints to share
    await subscribe(t, m, slow.url);
    await payerTransfers(t, m, 60);
    await eventually(() => failing.received.length >= 1 && slow.received.length >= 1, 10_000, 10);

    // A second worker joins: the first gives up one of its two endpoints, the one with the least in hand,
    // the failing one (a few deliveries queued behind its back-off).
    const second = anotherDispatcher(t, PER_ENDPOINT);
    const joined = Date.now();
    await second.start();
    stops.push(() => second.stop());
    const owner = async () =>
      (await t.app.pool.query('select owner from webhook_dispatch_owners where endpoint_id = $1', [ep]))
        .rows[0]?.owner;
    // Its queued deliveries go back at once: giving them up one probe at a time took 400 + 800 + 1600 + … ms.
    await eventually(async () => (await owner()) === second.store.owner, 10_000, 20);
    expect(Date.now() - joined).toBeLessThan(3000);
    await eventually(() => slow.received.length >= 60, 15_000, 50);
  });
});
