import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { deliveryStates, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A failing endpoint whose next deliveries were already claimed and queued when it failed: its probe is the
// first of them, started when its rest is over. The wake-up at the end of the rest ran a claim, which asked for
// nothing (one probe wanted, two queued) and returned before starting anything, and a claim during the rest
// (which gives the queued ones back) came only from another wake-up: without one the endpoint's deliveries
// sat queued, their leases renewed, for as long as the worker ran (ops.test.ts timed out on it in CI).
const t = useTestApp(
  {
    webhookPerEndpointConcurrency: 1, // the second and third delivery wait in the queue behind the first
    webhookRetryScheduleMs: [60_000],
    // No poll within the test: the back-off's own wake-up must start the probe (a poll during the rest gave
    // the queued deliveries back and hid the stall; the default polls every 5 s).
    webhookReconcileMs: 60_000,
  },
  { role: 'all' },
);
const receivers = useReceivers();

describe('a failing endpoint with deliveries queued', () => {
  it('sends them as its probes once its rest is over, without another wake-up', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const failing = await startReceiver();
    receivers.push(failing);
    let answerFirst!: (status: number) => void;
    failing.setResponder((_, n) => (n === 1 ? new Promise<number>((r) => (answerFirst = r)) : 500));
    const ep = await subscribe(t, m, failing.url);

    await payerTransfers(t, m, 3);
    // The first is in flight; the other two are claimed by the worker and wait behind it.
    await eventually(() => failing.received.length === 1, 10_000, 10);
    await eventually(
      async () => {
        const states = await deliveryStates(t, ep);
        return (
          states.length === 1 && states[0]!.status === 'pending' && states[0]!.leased && states[0]!.n === 3
        );
      },
      10_000,
      10,
    );

    answerFirst(500);
    // Probes 1 s after the failure, then 2 s after the failed probe (the shipped back-off).
    await eventually(() => failing.received.length === 3, 10_000, 10);
    expect(new Set(failing.received.map((r) => r.json.id)).size).toBe(3);
    const at = failing.received.map((r) => r.at);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(2000 - 50);
    await eventually(
      async () => {
        const r = await t.app.pool.query<{ attempts: number }>(
          'select attempts from webhook_deliveries where endpoint_id = $1',
          [ep],
        );
        return r.rows.every((x) => x.attempts === 1);
      },
      10_000,
      10,
    );
  });
});
