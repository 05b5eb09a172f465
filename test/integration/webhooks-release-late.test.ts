import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { holdingReceiver, payerTransfers, subscribe, useOwnDispatchers } from '../helpers/webhook-load.js';

// A resting endpoint's queued deliveries are given back by the next pass during its rest (tidy), and its
// probe is claimed by the pass at the rest's end. When that give-back was still on its way at the rest's end
// (a pass in the rest's last moment, as when the back-off's timer fires a millisecond early; a slow
// statement), the pass at the end found the deliveries still leased and claimed nothing, and nothing woke the
// worker again: its deliveries waited for the poll or the ownership heartbeat (5-10 s by default; a CI run of
// webhooks-probe-queued.test.ts timed out on it). The give-back, done after the rest, now asks for a pass.
const t = useTestApp(
  {
    webhookRetryScheduleMs: [60_000], // no retry within the test: the probe is a queued delivery
    webhookReconcileMs: 60_000, // no poll within the test
  },
  { role: 'all' },
);
const receivers = useReceivers();
const own = useOwnDispatchers(t);

describe('a resting endpoint whose deliveries are given back only after its rest', () => {
  it('is probed once they are back, without another wake-up', async () => {
    // A long lease: the heartbeat (a third of it) that gives an endpoint with nothing in hand up, and wakes
    // the workers to take it again, comes after the test (it would hide the stall 10 s on, by default).
    const d = own.dispatcher(1, { leaseMs: 120_000 });
    await d.start();
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const { r, answers } = await holdingReceiver(receivers);
    const ep = await subscribe(t, m, r.url);
    // Another merchant's healthy endpoint: its event wakes a pass during the rest.
    const other = await t.merchant();
    await t.credit(other, 'payer', '10');
    const healthy = await startReceiver();
    receivers.push(healthy);
    await subscribe(t, other, healthy.url);

    // One in flight (its cap), two claimed and queued behind it; then it fails: a rest of 1 s.
    await payerTransfers(t, m, 3);
    await eventually(() => r.received.length === 1, 10_000, 10);
    const leased = async (n: number) =>
      eventually(
        async () => {
          const q = await t.app.pool.query<{ n: number }>(
            'select count(*)::int as n from webhook_deliveries where endpoint_id = $1 and lease_owner is not null',
            [ep],
          );
          return q.rows[0]!.n === n;
        },
        10_000,
        10,
      );
    await leased(3);
    answers[0]!(500);
    await leased(2); // the failure written; the two queued still leased

    // The two queued rows locked by the test: the give-back of the pass that comes during the rest waits.
    const lock = await t.app.pool.connect();
    try {
      await lock.query('begin');
      await lock.query(
        'select 1 from webhook_deliveries where endpoint_id = $1 and attempts = 0 for update',
        [ep],
      );
      await payerTransfers(t, other, 1);
      await eventually(() => healthy.received.length === 1, 10_000, 10);
      await eventually(
        async () => {
          const q = await t.app.pool.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'
               and query like '%set leased_until = null%'`,
          );
          return q.rows[0]!.n === 1;
        },
        10_000,
        10,
      );
      // The pass at the rest's end: it finds both still leased (and locked), and claims nothing.
      const claims = d.stats.claims;
      await eventually(() => d.stats.claims > claims, 10_000, 10);
      expect(r.received.length).toBe(1);
      await lock.query('commit');
    } finally {
      lock.release();
    }

    // Given back after the rest: the first of them goes as the probe.
    await eventually(() => r.received.length === 2, 10_000, 10);
    expect(new Set(r.received.map((x) => x.json.id)).size).toBe(2);
    answers[1]!(200);
  });
});
