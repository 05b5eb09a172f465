import type { Pool } from '../../src/db/database.js';
import { eventually } from './receiver.js';

// Conditions on the outbox and the webhook deliveries, read from the tables that are their truth.

/** Waits until the outbox relay has published every event of the merchant (and recorded their deliveries). */
export async function untilPublished(pool: Pool, merchantId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const r = await pool.query<{ n: number }>(
        'select count(*)::int as n from events where merchant_id = $1 and published_at is null',
        [merchantId],
      );
      return r.rows[0]!.n === 0;
    },
    timeoutMs,
    20,
  );
}

/**
 * Waits until the merchant's webhooks have nothing left to send: every event published (so every delivery it
 * implies is a row, recorded in the relay's transaction) and no delivery pending or leased by a sender. A
 * delivery is marked succeeded only after its receiver answered, and only a pending one is sent again, so
 * from then on no endpoint of the merchant gets another request until a new event: a test can count what
 * arrived, duplicates included, without waiting to see whether more comes.
 */
export async function untilWebhooksSettled(
  pool: Pool,
  merchantId: string,
  timeoutMs = 30_000,
): Promise<void> {
  await untilPublished(pool, merchantId, timeoutMs);
  await eventually(
    async () => {
      const r = await pool.query<{ n: number }>(
        `select count(*)::int as n from webhook_deliveries
         where merchant_id = $1 and (status = 'pending' or lease_owner is not null)`,
        [merchantId],
      );
      return r.rows[0]!.n === 0;
    },
    timeoutMs,
    20,
  );
}

/**
 * Waits until the events list can show every event committed so far: until every transaction that had
 * written anything when this was called (in any database of the server) has finished. The list shows an
 * event only below that horizon (docs/graphql.md, "Pagination"), so a test reads it after this instead of
 * racing another test's transaction.
 */
export async function untilListable(pool: Pool, timeoutMs = 30_000): Promise<void> {
  const r = await pool.query<{ next: string }>(
    'select pg_snapshot_xmax(pg_current_snapshot())::text as next',
  );
  const next = r.rows[0]!.next;
  await eventually(
    async () => {
      const h = await pool.query<{ ok: boolean }>(
        'select pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 as ok',
        [next],
      );
      return h.rows[0]!.ok;
    },
    timeoutMs,
    10,
  );
}
