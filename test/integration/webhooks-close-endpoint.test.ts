import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { deliveryStates, holdingReceiver, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A disabled endpoint's backlog is failed unsent, all at once, by the worker that claims one of its deliveries
// (src/modules/webhooks/delivery/dispatcher.ts, closeEndpoint). When that write failed, the worker forgot only
// the delivery in hand: the rest of the endpoint's claimed queue stayed among the deliveries it holds, so it
// renewed their leases and kept the endpoint as its own for as long as it ran. Whatever the write's fate, the
// worker lets go of them: a failed close is retried when their leases lapse, and the endpoint is released.
// And a close fails nothing of an endpoint enabled again since the worker read it closed: what it claimed
// while the endpoint was disabled and queued is given back, claimed again and sent. The close failed the whole
// backlog of the enabled endpoint ('endpoint by test'), never sent.

const t = useTestApp(
  {
    webhookConcurrency: 8,
    webhookPerEndpointConcurrency: 1, // one at a time: the first close drops the whole queue
    outboxPollMs: 100,
    webhookReconcileMs: 200,
    workerLockMs: 1500,
  },
  { role: 'all' },
);
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
  await t.app.pool.query('drop trigger if exists close_fails_once on webhook_deliveries');
});

const count = async (sql: string, values: unknown[]) =>
  Number((await t.app.pool.query<{ n: string }>(sql, values)).rows[0]!.n);

describe('closing a disabled endpoint’s backlog', () => {
  it('lets go of every claimed delivery when the close fails, and fails them all once it can', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const r = await startReceiver();
    receivers.push(r);
    await subscribe(t, m, r.url);
    const endpointId = (
      await t.app.pool.query<{ id: string }>('select id from webhook_endpoints where merchant_id = $1', [
        m.merchantId,
      ])
    ).rows[0]!.id;
    const pending = () =>
      count(`select count(*) as n from webhook_deliveries where endpoint_id = $1 and status = 'pending'`, [
        endpointId,
      ]);

    // A backlog of six deliveries to an endpoint disabled since (what the relay's fan-out writes for six
    // events, written here so that no worker can send one before the endpoint is disabled).
    await t.app.pool.query(
      `update webhook_endpoints set status = 'disabled', disabled_reason = 'by test', updated_at = now()
        where id = $1`,
      [endpointId],
    );
    await payerTransfers(t, m, 6);
    // The first close of the backlog fails (a database error, as a failover would give).
    await t.app.pool.query(`
      create sequence if not exists close_attempts;
      create or replace function close_fails_once() returns trigger language plpgsql as $$
      begin
        if nextval('close_attempts') = 1 then raise exception 'close failed (test)'; end if;
        return new;
      end $$;
      create trigger close_fails_once before update on webhook_deliveries
        for each row when (new.last_error like 'endpoint %') execute function close_fails_once();`);
    await t.app.pool.query(
      `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode)
       select id, $1, merchant_id, mode from events where merchant_id = $2 and type = 'transfer.completed'`,
      [endpointId, m.merchantId],
    );
    await t.app.pool.query(`select pg_notify('novapay_webhooks', '')`); // as the fan-out does

    await eventually(async () => (await pending()) === 0, 20_000, 50);
    expect(
      await count(
        `select count(*) as n from webhook_deliveries where endpoint_id = $1 and status = 'failed'
           and last_error = 'endpoint by test'`,
        [endpointId],
      ),
    ).toBe(6);
    expect(r.received.length).toBe(0);
    // Nothing of the endpoint is held any more: its ownership goes back.
    await eventually(
      async () =>
        (await count('select count(*) as n from webhook_dispatch_owners where endpoint_id = $1', [
          endpointId,
        ])) === 0,
      20_000,
      50,
    );
  });

  it('sends what it claimed while the endpoint was disabled, once enabled again, and fails none of it', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const { r, answers } = await holdingReceiver(receivers);
    const endpointId = await subscribe(t, m, r.url);
    const states = () => deliveryStates(t, endpointId);
    // One delivery in flight, unanswered: it holds the endpoint's one slot.
    await payerTransfers(t, m, 1);
    await eventually(async () => (r.received.length === 1 ? true : null));
    // Disabled (no NOTIFY, as a write outside the service), and three deliveries written for it (what the
    // relay's fan-out writes, here while disabled), which the worker claims: their rows say disabled.
    await t.app.pool.query(
      `update webhook_endpoints set status = 'disabled', disabled_reason = 'by test', updated_at = now()
        where id = $1`,
      [endpointId],
    );
    await payerTransfers(t, m, 3);
    await t.app.pool.query(
      `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode)
       select id, $1, merchant_id, mode from events e where merchant_id = $2 and type = 'transfer.completed'
         and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.endpoint_id = $1)`,
      [endpointId, m.merchantId],
    );
    await t.app.pool.query(`select pg_notify('novapay_webhooks', '')`); // as the fan-out does
    await eventually(async () =>
      JSON.stringify(await states()) ===
      JSON.stringify([{ status: 'pending', last_error: null, leased: true, n: 4 }])
        ? true
        : null,
    );
    // Enabled again (no NOTIFY either), then the first answered: the next one's turn comes, its row disabled.
    await t.app.pool.query(
      `update webhook_endpoints set status = 'enabled', disabled_reason = null, updated_at = now() where id = $1`,
      [endpointId],
    );
    answers[0]!(200);
    // Each of the three is sent (claimed again, the endpoint enabled) and answered as it comes.
    await eventually(
      async () => {
        for (let i = 1; i < answers.length; i++) answers[i]!(200);
        const s = await states();
        if (s.some((x) => x.status === 'failed')) return s;
        return s.length === 1 && s[0]!.status === 'succeeded' && s[0]!.n === 4 ? s : null;
      },
      20_000,
      50,
    );
    expect(await states()).toEqual([{ status: 'succeeded', last_error: null, leased: false, n: 4 }]);
    expect(r.received.length).toBe(4);
  });
});
