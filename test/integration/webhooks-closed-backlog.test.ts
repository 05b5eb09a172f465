import { describe, expect, it } from 'vitest';
import { DeliveryStore } from '../../src/modules/webhooks/delivery/store.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually, useReceivers } from '../helpers/receiver.js';
import { failingEndpoint, payerTransfers } from '../helpers/webhook-load.js';

// An endpoint disabled or deleted while it is backing off (its next probe up to a minute away) has its
// backlog failed at once, unsent (`endpoint deleted`, `endpoint disabled by the merchant`), not at that
// probe: the disable wakes the workers for it (a NOTIFY with its id). And a backlog of any size is failed
// in bounded statements.
const PROBE_MS = 30_000;
const t = useTestApp(
  {
    webhookRetryScheduleMs: [200, 200, 200, 200, 200],
    webhookFailingProbeMs: PROBE_MS,
    webhookFailingProbeMaxMs: 2 * PROBE_MS,
    webhookTimeoutMs: 2000,
    outboxPollMs: 100,
    webhookReconcileMs: 400,
  },
  { role: 'all' },
);
const receivers = useReceivers();

const DELETE = `mutation($id: ID!) { r: deleteWebhookEndpoint(id: $id) { __typename ... on WebhookEndpoint { id } } }`;
const DISABLE = `mutation($id: ID!) { r: updateWebhookEndpoint(id: $id, input: { enabled: false }) {
  __typename ... on WebhookEndpoint { id } } }`;

async function gql(m: TestMerchant, query: string, id: string) {
  const res = await t.request({ method: 'POST', url: '/graphql', as: m, body: { query, variables: { id } } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data?.r?.__typename, res.text).toBe('WebhookEndpoint');
}

async function states(endpointId: string) {
  const r = await t.app.pool.query<{ status: string; last_error: string | null; n: number }>(
    `select status, last_error, count(*)::int as n from webhook_deliveries where endpoint_id = $1
     group by 1, 2 order by 1, 2`,
    [endpointId],
  );
  return r.rows;
}

/** A merchant with an endpoint that answers 500 and is now backing off, with `n` deliveries pending. */
async function restingEndpoint(n: number) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '1000');
  const { failing, id } = await failingEndpoint(t, m, receivers);
  await payerTransfers(t, m, 1);
  await eventually(() => failing.received.length >= 1, 10_000, 10);
  await payerTransfers(t, m, n - 1);
  await eventually(
    async () => (await states(id)).filter((s) => s.status === 'pending').reduce((a, s) => a + s.n, 0) === n,
    10_000,
    20,
  );
  return { m, id, failing };
}

/** The ops console's disable (the `setWebhookEndpointEnabled` mutation's service call). */
const OPS_DISABLE = 'ops';

describe('a disabled or deleted endpoint that is backing off', () => {
  it.each([
    { how: 'deleted', doc: DELETE, reason: 'endpoint deleted', n: 6 },
    { how: 'disabled by the merchant', doc: DISABLE, reason: 'endpoint disabled by the merchant', n: 4 },
    {
      how: 'disabled from the ops console',
      doc: OPS_DISABLE,
      reason: 'endpoint disabled by ops: flapping',
      n: 3,
    },
  ])('$how: its whole backlog fails at once, unsent, without waiting for its next probe', async (c) => {
    const { m, id, failing } = await restingEndpoint(c.n);
    if (c.doc === OPS_DISABLE)
      await t.app.services.admin.webhooks.setEnabled(id, false, 'flapping', 'admin:test');
    else await gql(m, c.doc, id);
    // Its next probe is ~30 s away: the backlog fails well before.
    const want = JSON.stringify([{ status: 'failed', last_error: c.reason, n: c.n }]);
    await eventually(async () => JSON.stringify(await states(id)) === want, 10_000, 20);
    expect(failing.received.length).toBe(1);
  });
});

describe('closing an endpoint', () => {
  it('fails a backlog larger than one statement takes, all of it, and leaves another worker’s in-flight ones', async () => {
    const m = await t.merchant();
    const ep = await t.app.services.webhooks.create(
      { merchantId: m.merchantId, mode: 'test' },
      {
        url: 'http://127.0.0.1:9/never',
      },
    );
    const id = ep.endpoint.id;
    // 2,345 events already published, each with a delivery not due for an hour (no dispatcher claims them);
    // three of them leased by another worker right now.
    await t.app.pool.query(
      `with e as (insert into events (id, merchant_id, mode, type, payload, published_at)
                  select 'evt_close_' || g, $1, 'test', 'transfer.completed', '{}'::jsonb, now()
                  from generate_series(1, 2345) g returning id)
       insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode, next_attempt_at)
       select e.id, $2, $1, 'test', now() + interval '1 hour' from e`,
      [m.merchantId, id],
    );
    await t.app.pool.query(
      `update webhook_deliveries set lease_owner = 'other', leased_until = now() + interval '1 minute'
       where endpoint_id = $1 and event_id in ('evt_close_1', 'evt_close_2', 'evt_close_3')`,
      [id],
    );
    await t.app.pool.query(`update webhook_endpoints set status = 'disabled' where id = $1`, [id]);
    const store = new DeliveryStore(t.app.pool, t.app.pool, 'this-worker', 30_000);
    expect(await store.closeEndpoint(id, 'endpoint deleted')).toBe(2342);
    expect(await states(id)).toEqual([
      { status: 'failed', last_error: 'endpoint deleted', n: 2342 },
      { status: 'pending', last_error: null, n: 3 },
    ]);
  });
});
