import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, useReceivers } from '../helpers/receiver.js';
import { deliveryStates, holdingReceiver, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// An endpoint disabled by the worker's own failures write (failing longer than WEBHOOK_DISABLE_AFTER_HOURS):
// no closed: NOTIFY comes, so the worker closes what it has queued for the endpoint itself, as the merchant's
// disable does (webhooks-close-in-flight.test.ts). With the back-off on (the default) a failing endpoint's
// queue is given back before it could be sent; with it off (WEBHOOK_FAILING_PROBE_MS=0) the queued
// deliveries, claimed while the endpoint was enabled, were sent as its slots freed up.

const t = useTestApp(
  {
    webhookFailingProbeMs: 0,
    webhookDisableAfterMs: 60_000,
    outboxPollMs: 100,
    webhookReconcileMs: 200,
  },
  { role: 'all' },
);
const receivers = useReceivers();

describe('an endpoint disabled by its own failures write', () => {
  it('fails the deliveries queued for it unsent, and sends none of them', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const { r, answers } = await holdingReceiver(receivers);
    const endpointId = await subscribe(t, m, r.url);
    // Failing for a day already: its next failure disables it.
    await t.app.pool.query(
      `update webhook_endpoints set failing_since = now() - interval '1 day' where id = $1`,
      [endpointId],
    );
    const states = () => deliveryStates(t, endpointId);
    const statesAre = async (want: unknown) =>
      JSON.stringify(await states()) === JSON.stringify(want) ? true : null;
    await payerTransfers(t, m, 6);
    // One in flight (a failing endpoint's one slot), unanswered; the other five claimed by the worker, queued.
    await eventually(async () =>
      r.received.length === 1
        ? statesAre([{ status: 'pending', last_error: null, leased: true, n: 6 }])
        : null,
    );
    // The first answers 500: its slot goes to the second (sent while the endpoint is still enabled), and the
    // failure's write disables the endpoint. The last four are not sent: they fail unsent with its reason.
    answers[0]!(500);
    const unsent = (x: { last_error: string | null; leased: boolean }) =>
      !x.leased && /^endpoint failing for [\d.]+ h$/.test(x.last_error ?? '');
    await eventually(async () => {
      if (r.received.length !== 2) return null;
      return (await states()).some((x) => x.status === 'failed' && unsent(x) && x.n === 4) ? true : null;
    });
    for (const answer of answers.slice(1)) answer(200);
    await eventually(async () => ((await states()).some((s) => s.status === 'pending') ? null : true));
    const end = await states();
    // The first: its own failure, final (the endpoint disabled); the one sent after it: its answer.
    expect(end.find((x) => x.status === 'succeeded')).toMatchObject({
      last_error: null,
      leased: false,
      n: 1,
    });
    expect(
      end
        .filter((x) => x.status === 'failed')
        .map((x) => x.n)
        .sort(),
    ).toEqual([1, 4]);
    expect(end.find((x) => x.status === 'failed' && x.n === 4 && unsent(x))).toBeDefined();
    expect(r.received.length).toBe(2);
    const ep = await t.app.pool.query('select status from webhook_endpoints where id = $1', [endpointId]);
    expect(ep.rows[0]).toEqual({ status: 'disabled' });
  });
});
