import type { Pool } from '../../db/database.js';
import { KEY_LOCK_SPACE, keyLockId } from './key-lock.js';

// Purging expired idempotency records (IdempotencyService.purgeExpired; the worker's hourly job in
// jobs/maintenance.ts). A record past IDEMPOTENCY_TTL_HOURS is already ignored by claims (they take its key
// over), so purging only reclaims space; it must never get in a claim's way:
// - each batch locks its rows with FOR UPDATE SKIP LOCKED, so the purge never waits for a row a claim holds
//   (a standalone claim taking an expired key over, a ledger batch writing the record of one it won, or a
//   request completing its own claim in its transaction) and cannot be part of a deadlock: it waits for
//   nothing. A skipped row is being taken over or completed, or is gone at the next pass;
// - a batch is one short statement of its own (BATCH rows at most), so the locks it takes, which a claim of
//   one of those keys waits for, last only as long as that statement;
// - rows are chosen oldest first, the order `idempotency_keys_created_idx` serves: a batch reads about as many
//   index entries as it deletes, however big the table or the backlog. (The order the purge locks rows in does
//   not matter for deadlocks, since it never waits for a lock; claims keep their key order among themselves.)
// - `completed` rows past the TTL, and the `in_progress` ones past it that are dead: an `in_progress` row is
//   a standalone claim (deposit addresses) whose request has not committed, or died before it did (no money
//   moved for it). A live request holds its claim in one of three ways, and the purge leaves each alone:
//   . between its claim and its completion it holds no lock at all, only a `locked_at` younger than
//     IDEMPOTENCY_LOCK_TIMEOUT_SECONDS; so only a claim a retry could already take over is purged (`locked_at`
//     older than that, as takeable() in service.ts, besides `created_at` past the TTL);
//   . completing it (IdempotencyService.complete, in the request's transaction), it holds the row: skipped;
//     and should the purge delete a claim whose request then completes it after all (one stalled past the
//     TTL), complete() finds no claim and fails, so that request commits nothing;
//   . a retry taking it over holds the row during its statement (skipped) and restarts it (created_at =
//     locked_at = now()); a ledger batch that took it over holds the key's advisory lock until it commits.
//     So the purge takes the advisory lock of each dead claim it has locked, with pg_try_advisory_xact_lock
//     (never waiting), for its own statement: a key another transaction holds is skipped (left for a later
//     pass, like a skipped row), and no claim can take a key over while the purge deletes it. The price: a
//     claim of that key in those milliseconds finds it busy (request_in_progress, which clients retry), as it
//     would while any request holds it. Completed rows take no advisory lock: a batch that won an expired
//     record writes it whether or not it is there.
//   Before this, a dead claim stayed forever at the head of the index every batch walks.

/** Rows one statement deletes at most. */
export const PURGE_BATCH = 1000;

/**
 * Whether the record `row` is past its time to live: completed, or a dead claim (see above). $1 is the TTL in
 * hours, $3 the lock timeout in seconds.
 */
const expired = (row: string) =>
  `${row}.created_at < now() - make_interval(hours => $1)
             and (${row}.state = 'completed'
                  or (${row}.state = 'in_progress' and ${row}.locked_at < now() - make_interval(secs => $3)))`;

const PURGE_SQL = {
  name: 'idem_purge_batch',
  // `found`: the batch, locked. Only then are the dead claims' advisory locks tried (`doomed`), at most a batch
  // of them: a filter beside the LIMIT may run on every expired row (the planner may sort them all first),
  // and a backlog of dead claims would fill the lock table. The outer conditions repeat the inner ones: what is
  // deleted is what was found expired and locked.
  text: `with found as materialized (
           select merchant_id, mode, key, state from idempotency_keys i
           where ${expired('i')}
           order by created_at
           limit $2
           for update skip locked),
         doomed as materialized (
           select merchant_id, mode, key from found f
           where f.state = 'completed'
              or pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, ${keyLockId('f.merchant_id', 'f.mode', 'f.key')}))
         delete from idempotency_keys k using doomed d
         where k.merchant_id = d.merchant_id and k.mode = d.mode and k.key = d.key and ${expired('k')}`,
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
 * Deletes the `completed` records older than `ttlHours`, and the dead claims (`in_progress`, older than
 * `ttlHours`, locked longer ago than `lockTimeoutSeconds`, their key held by no transaction), a batch at a
 * time, until a batch finds fewer than a full batch (nothing left, or only rows claims hold right now) or
 * `shouldStop` says so.
 */
export async function purgeExpiredRecords(
  pool: Pool,
  ttlHours: number,
  lockTimeoutSeconds: number,
  opts: PurgeOptions = {},
): Promise<PurgeResult> {
  const batchSize = opts.batchSize ?? PURGE_BATCH;
  let purged = 0;
  let batches = 0;
  for (;;) {
    const r = await pool.query({ ...PURGE_SQL, values: [ttlHours, batchSize, lockTimeoutSeconds] });
    const n = r.rowCount ?? 0;
    purged += n;
    batches += 1;
    if (n < batchSize || opts.shouldStop?.()) return { purged, batches };
  }
}
