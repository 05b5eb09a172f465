import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, useReceivers } from '../helpers/receiver.js';
import {
  deliveryStates,
  holdingReceiver,
  payerTransfers,
  subscribe,
  useOwnDispatchers,
} from '../helpers/webhook-load.js';

// A failing endpoint whose rest ends while a claim pass is under way. The pass judged the endpoint resting
// (by the clock when it started) and asked nothing for it; the pump after it read the clock again, found the
// rest over, and set no wake-up for it: nothing was claimed or started for the endpoint until another wake-up
// (a new event, a retry's timer, the poll). A slow pass is one way (here: its ownership statement waits
// behind a heartbeat held up by a row lock); the back-off's own timer firing a millisecond early against
// Date.now(), as Node's timers do, is another (found by webhooks-mixtures.test.ts).
const t = useTestApp(
  {
    webhookRetryScheduleMs: [60_000], // no retry within the test: the probe is the queued delivery
    webhookReconcileMs: 60_000, // no poll within the test
  },
  { role: 'all' },
);
const receivers = useReceivers();
const own = useOwnDispatchers(t);

describe('a failing endpoint whose rest ends during a claim pass', () => {
  it('is probed when the pass ends, without another wake-up', async () => {
    // A short lease: the heartbeat (a third of it) comes every 200 ms.
    const d = own.dispatcher(2, { leaseMs: 600 });
    await d.start();
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const { r, answers } = await holdingReceiver(receivers);
    const ep = await subscribe(t, m, r.url);

    // Two in flight (its cap), the third claimed and queued behind them.
    await payerTransfers(t, m, 3);
    await eventually(() => r.received.length === 2, 10_000, 10);
    await eventually(
      async () => {
        const s = await deliveryStates(t, ep);
        return s.length === 1 && s[0]!.leased && s[0]!.n === 3;
      },
      10_000,
      10,
    );

    const written = async (n: number) =>
      eventually(
        async () => {
          const q = await t.app.pool.query<{ n: number }>(
            'select count(*)::int as n from webhook_deliveries where endpoint_id = $1 and attempts = 1',
            [ep],
          );
          return q.rows[0]!.n === n;
        },
        10_000,
        10,
      );
    // The first fails: a rest of 1 s (the shipped back-off), its wake-up set for then.
    answers[0]!(500);
    await written(1);
    // The worker's heartbeat row locked: its next heartbeat waits, and each ownership statement after it.
    const lock = await t.app.pool.connect();
    try {
      await lock.query('begin');
      await lock.query('select 1 from webhook_workers where owner = $1 for update', [d.store.owner]);
      await eventually(
        async () => {
          const q = await t.app.pool.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'
               and query like '%webhook_workers%'`,
          );
          return q.rows[0]!.n > 0;
        },
        10_000,
        10,
      );
      // The second fails too, while the first's rest is on: the rest now ends 1 s after it, and the wake-up
      // stays at the end of the first's.
      answers[1]!(500);
      await written(2);
      const restEnds = Date.now() + 1000;
      // That wake-up's pass gives the queued delivery back (the endpoint rests), then waits for the lock.
      await eventually(
        async () => {
          const s = await deliveryStates(t, ep);
          return s.every((x) => !x.leased);
        },
        10_000,
        10,
      );
      // The rest ends while the pass waits.
      await eventually(() => Date.now() > restEnds + 100, 10_000, 10);
      await lock.query('commit');
    } finally {
      lock.release();
    }

    // The pass ends having judged the endpoint resting: its probe (the delivery it gave back) follows.
    await eventually(() => r.received.length === 3, 10_000, 10);
    expect(new Set(r.received.map((x) => x.json.id)).size).toBe(3);
    answers[2]!(200);
  });
});
