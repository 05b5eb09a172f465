import type { PoolClient } from '../../db/database.js';
import type { StoredEvent } from '../events/index.js';
import { isWebhookEvent } from '../events/index.js';
import { WEBHOOKS_CHANNEL } from './service.js';

// From the outbox to the deliveries: inside the relay's transaction, one webhook_deliveries row per enabled
// endpoint of the event's merchant and mode that is subscribed to its type (an empty list means all), and a
// NOTIFY that wakes the dispatchers when the transaction commits. The rows are the queue; nothing else is
// enqueued anywhere.

interface EndpointSubscription {
  id: string;
  merchant_id: string;
  mode: string;
  events: string[];
}

export async function recordDeliveries(client: PoolClient, events: StoredEvent[]): Promise<number> {
  const deliverable = events.filter((e) => isWebhookEvent(e.type));
  if (deliverable.length === 0) return 0;
  const tenants = new Map(deliverable.map((e) => [`${e.merchantId}\u0000${e.mode}`, e]));
  const endpoints = await client.query<EndpointSubscription>({
    name: 'webhook_fanout_endpoints',
    text: `select id, merchant_id, mode, events from webhook_endpoints
           where status = 'enabled' and deleted_at is null
             and (merchant_id, mode) in (select * from unnest($1::text[], $2::text[]))`,
    values: [[...tenants.values()].map((e) => e.merchantId), [...tenants.values()].map((e) => e.mode)],
  });
  const rows = { ev: [] as string[], ep: [] as string[], m: [] as string[], mode: [] as string[] };
  for (const e of deliverable) {
    for (const ep of endpoints.rows) {
      if (ep.merchant_id !== e.merchantId || ep.mode !== e.mode) continue;
      if (ep.events.length > 0 && !ep.events.includes(e.type)) continue;
      rows.ev.push(e.id);
      rows.ep.push(ep.id);
      rows.m.push(e.merchantId);
      rows.mode.push(e.mode);
    }
  }
  if (rows.ev.length === 0) return 0;
  // In key order (event_id, endpoint_id), as every writer that waits for delivery rows takes them
  // (delivery/store-sql.ts): the insert waits for a row another transaction is inserting, and a merchant's
  // redelivery of the event, sent before this pass got to it, inserts the same rows in that order.
  await client.query({
    name: 'webhook_fanout_insert',
    text: `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as r(event_id, endpoint_id, m, mode)
           order by r.event_id, r.endpoint_id
           on conflict do nothing`,
    values: [rows.ev, rows.ep, rows.m, rows.mode],
  });
  await client.query(`select pg_notify('${WEBHOOKS_CHANNEL}', '')`);
  return rows.ev.length;
}
