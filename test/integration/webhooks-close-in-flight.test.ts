import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { fourInFlightThreeQueued, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A disabled endpoint's backlog is failed unsent by the worker that claims one of its deliveries after the
// disable (src/modules/webhooks/delivery/dispatcher.ts, closeEndpoint). The deliveries that worker is sending
// at that moment are not part of the backlog: their answers decide them. Nor are those it has queued behind
// them: the disable's NOTIFY fails those unsent with the backlog.

const t = useTestApp(
  { webhookPerEndpointConcurrency: 4, outboxPollMs: 100, webhookReconcileMs: 200 },
  { role: 'all' },
);
const receivers = useReceivers();

describe('closing a disabled endpoint while one of its deliveries is in flight', () => {
  it('leaves a delivery in flight to its outcome: sent and answered, it is not failed as unsent', async () => {
    // A delivery claimed while its endpoint was enabled is being sent when a later claim finds the endpoint
    // disabled and closes its backlog. The close took that delivery too ("endpoint disabled", its lease gone),
    // so the receiver's 200 was written nowhere: a delivery the merchant's server got read as failed unsent.
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const r = await startReceiver();
    receivers.push(r);
    let answerFirst = (_status: number) => {};
    r.setResponder((_req, n) =>
      n === 1
        ? new Promise<number>((resolve) => {
            answerFirst = resolve;
          })
        : 200,
    );
    const endpointId = await subscribe(t, m, r.url);
    const deliveries = async () =>
      (
        await t.app.pool.query<{ status: string; last_error: string | null }>(
          `select d.status, d.last_error from webhook_deliveries d join events e on e.id = d.event_id
           where d.endpoint_id = $1 order by e.created_at, e.id`,
          [endpointId],
        )
      ).rows.map((d) => [d.status, d.last_error]);
    await payerTransfers(t, m, 1);
    await eventually(() => (r.received.length === 1 ? true : null)); // in flight, unanswered
    await payerTransfers(t, m, 1); // another event, delivered (200)
    await eventually(async () => ((await deliveries())[1]?.[0] === 'succeeded' ? true : null));
    await t.app.pool.query(
      `update webhook_endpoints set status = 'disabled', disabled_reason = 'by test', updated_at = now()
        where id = $1`,
      [endpointId],
    );
    // The second event sent again to the endpoint: claimed with the endpoint disabled, it closes the backlog.
    const second = (
      await t.app.pool.query<{ event_id: string }>(
        `select d.event_id from webhook_deliveries d join events e on e.id = d.event_id
         where d.endpoint_id = $1 order by e.created_at desc, e.id desc limit 1`,
        [endpointId],
      )
    ).rows[0]!.event_id;
    await t.app.services.webhooks.redeliver({ merchantId: m.merchantId, mode: 'test' }, second, endpointId);
    await eventually(async () => ((await deliveries())[1]?.[0] === 'failed' ? true : null));
    answerFirst(200);
    await eventually(async () => ((await deliveries())[0]?.[0] !== 'pending' ? true : null));
    expect(await deliveries()).toEqual([
      ['succeeded', null],
      ['failed', 'endpoint by test'],
    ]);
    expect(r.received.length).toBe(2);
  });

  it('fails the deliveries queued behind those in flight unsent, and sends none of them', async () => {
    // A worker keeps a few rounds of an endpoint's deliveries claimed and queued behind its slots. Disabled,
    // the endpoint's NOTIFY only woke a claim, which found nothing of it left to claim: the queued ones, claimed
    // while it was enabled, were sent as its slots freed up.
    // Four in flight (the endpoint's cap), unanswered; the other three claimed by the worker, queued.
    const { m, endpointId, queuedFailUnsent } = await fourInFlightThreeQueued(t, receivers);
    await t.app.services.webhooks.update({ merchantId: m.merchantId, mode: 'test' }, endpointId, {
      enabled: false,
    });
    // The queued ones fail unsent, as the close of a backlog fails it; those in flight wait for their answers.
    await queuedFailUnsent();
  });
});
