import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A disabled endpoint's backlog is failed unsent, all at once, by the worker that claims one of its deliveries
// (src/modules/webhooks/delivery/dispatcher.ts, closeEndpoint). When that write failed, the worker forgot only
// the delivery in hand: the rest of the endpoint's claimed queue stayed among the deliveries it holds, so it
// renewed their leases and kept the endpoint as its own for as long as it ran. Whatever the write's fate, the
// worker lets go of them: a failed close is retried when their leases lapse, and the endpoint is released.

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
});
