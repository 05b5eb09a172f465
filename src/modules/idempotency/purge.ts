import type { Pool } from '../../db/database.js';

// Purging expired idempotency records (IdempotencyService.purgeExpired; the worker's hourly job in
// jobs/maintenance.ts). A record past IDEMPOTENCY_TTL_HOURS is already ignored by claims (they take its key
// over), so purging only reclaims space; it must never get in a claim's way:
// - each batch locks its rows with FOR UPDATE SKIP LOCKED, so the purge never waits for a row a claim holds
//   (a standalone claim taking an expired key over, or a ledger batch writing the record of one it won) and
//   cannot be part of a deadlock: it waits for nothing. A skipped row is being taken over, or is gone at the
//   next pass;
// - a batch is one short statement of its own (BATCH rows at most), so the locks it takes, which a claim of
//   one of those keys waits for, last only as long as that statement;
// - rows are chosen oldest first, the order `idempotency_keys_created_idx` serves: a batch reads about as many
//   index entries as it deletes, however big the table or the backlog. (The order the purge locks rows in does
//   not matter for deadlocks, since it never waits for a lock; claims keep their key order among themselves.)
// - only `completed` rows: an `in_progress` row is a claim whose request has not committed, or died before it
//   did (no money moved for it; a retry takes it over after IDEMPOTENCY_LOCK_TIMEOUT_SECONDS).

/** Rows one statement deletes at most. */
export const PURGE_BATCH = 1000;

const PURGE_SQL = {
  name: 'idem_purge_batch',
  // The outer conditions repeat the inner ones: what is deleted is what was found expired and locked.
  text: `with doomed as (
           select merchant_id, mode, key from idempotency_keys
           where state = 'completed' and created_at < now() - make_interval(hours => $1)
           order by created_at
           limit $2
           for update skip locked)
         delete from idempotency_keys k using doomed d
         where k.merchant_id = d.merchant_id and k.mode = d.mode and k.key = d.key
           and k.state = 'completed' and k.created_at < now() - make_interval(hours => $1)`,
} as const;

export interface PurgeOptions {
  /** Rows per statement (PURGE_BATCH). */
  batchSize?: number;
  /** Asked between batches: true stops the purge there (a worker shutting down). */
  shouldStop?: () => boolean;
}

export interface PurgeResult {
  /** Records deleted. */
  purged: number;
  /** Statements run. */
  batches: number;
}

/**
 * Deletes the `completed` records older than `ttlHours`, a batch at a time, until a batch finds fewer than a
 * full batch (nothing left, or only rows claims hold right now) or `shouldStop` says so.
 */
export async function purgeExpiredRecords(
  pool: Pool,
  ttlHours: number,
  opts: PurgeOptions = {},
): Promise<PurgeResult> {
  const batchSize = opts.batchSize ?? PURGE_BATCH;
  let purged = 0;
  let batches = 0;
  for (;;) {
    const r = await pool.query({ ...PURGE_SQL, values: [ttlHours, batchSize] });
    const n = r.rowCount ?? 0;
    purged += n;
    batches += 1;
    if (n < batchSize || opts.shouldStop?.()) return { purged, batches };
  }
}
