import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { deliveryStates, payerTransfers, subscribe, useOwnDispatchers } from '../helpers/webhook-load.js';

// A failed delivery's retry, when the worker that wrote the failure stops before it comes due: the endpoint
// goes to another worker (ownership.ts), and the retry's timer went with the stopped one. The new owner,
// woken by the stop's NOTIFY, found nothing due and knew nothing of the retry: it was sent only on another
// wake-up (a new event, the poll; in production BullMQ's mirror job, which wakes whichever worker takes it).
// Found by webhooks-mixtures.test.ts (a second worker leaving mid-run).
const t = useTestApp(
  {
    webhookRetryScheduleMs: [1000],
    // No poll within the test: the new owner's own wake-up must send the retry.
    webhookReconcileMs: 60_000,
  },
  { role: 'all' },
);
const receivers = useReceivers();
// Two dispatchers of the test's own, without the app's (its BullMQ mirror wakes it for retries).
const own = useOwnDispatchers(t);

describe('a retry written by a worker that stops before it is due', () => {
  it('is sent by the endpoint’s next owner when it comes due, without another wake-up', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const r = await startReceiver();
    receivers.push(r);
    r.setResponder((_, n) => (n === 1 ? 500 : 200));
    const ep = await subscribe(t, m, r.url);
    const first = own.dispatcher(4);
    await first.start();

    await payerTransfers(t, m, 1);
    // The failure is written: pending, its retry ~1 s away, leased by nobody.
    await eventually(
      async () => {
        const s = await deliveryStates(t, ep);
        return (
          s.length === 1 && s[0]!.status === 'pending' && s[0]!.last_error === 'HTTP 500' && !s[0]!.leased
        );
      },
      10_000,
      10,
    );
    // A second worker is up (it owns nothing: the endpoint is the first's); the first stops, giving it up.
    const second = own.dispatcher(4);
    await second.start();
    await own.stop(first);
    const owner = async () =>
      (await t.app.pool.query('select owner from webhook_dispatch_owners where endpoint_id = $1', [ep]))
        .rows[0]?.owner;
    await eventually(async () => (await owner()) === second.store.owner, 10_000, 10);

    await eventually(() => r.received.length === 2, 10_000, 10);
    expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(800 - 50); // not before it was due
    await eventually(
      async () => {
        const s = await deliveryStates(t, ep);
        return s.length === 1 && s[0]!.status === 'succeeded';
      },
      10_000,
      10,
    );
  });
});
