import pg from 'pg';
import type { Pool, PoolClient } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { SQL } from './sql.js';

// A batch's COMMIT, and what the engine knows after it: committed (answered, or found after its answer was
// lost), not committed (ROLLBACK, or an ERROR answer, which comes before the commit record), or unknown (no
// answer and no way to find out), which the engine never posts again.

/**
 * COMMIT, and when it fails without a usable answer (a broken connection, a FATAL one), find out whether it
 * landed: a batch that committed must be answered as committed, never as an error a client would retry.
 * `xid` is the batch transaction's id (SQL.currentXid, read before the write).
 */
export async function commitBatch(
  pool: Pool,
  log: Logger,
  client: PoolClient,
  xid: string,
): Promise<Committed> {
  let command: string;
  try {
    command = (await client.query('commit')).command;
  } catch (err) {
    if (!outcomeUnknown(err) || !(await landed(pool, xid, err))) throw err;
    log.warn({ err }, 'ledger COMMIT answered with an error but the batch had committed');
    return 'probed';
  }
  // PostgreSQL answers ROLLBACK to the COMMIT of a transaction an error ended: nothing was committed.
  if (command !== 'COMMIT') throw new NotCommitted(command);
  return 'answered';
}

/**
 * Whether the transaction `xid`, whose COMMIT got no usable answer, committed: PostgreSQL's own record
 * (pg_xact_status), asked until it is no longer in progress (cut off from its client, a backend may still be
 * committing). Asked on a connection of its own, not one of the pool's: the pool may have none free (its
 * broken client is still checked out, and the other batches may be waiting the same way). When the record
 * cannot tell within a few seconds, or cannot be read, the outcome stays unknown (OutcomeUnknown), and nothing
 * of the batch is posted again.
 */
async function landed(pool: Pool, xid: string, err: unknown): Promise<boolean> {
  try {
    return await transactionCommitted(pool, xid);
  } catch (e) {
    throw new OutcomeUnknown(err, e);
  }
}

/**
 * Whether transaction `xid` (pg_current_xact_id() read inside it) committed, by PostgreSQL's own record, on a
 * connection of its own; waits while it is still in progress. Throws when the record cannot tell.
 */
export async function transactionCommitted(pool: Pool, xid: string): Promise<boolean> {
  const probe = new pg.Client({
    connectionString: pool.options.connectionString,
    connectionTimeoutMillis: PROBE_CONNECT_MS,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    for (let i = 0; ; i++) {
      const status = (await probe.query({ ...SQL.xactStatus, values: [xid] })).rows[0]?.status as
        | string
        | null;
      if (status === 'committed') return true;
      if (status === 'aborted') return false;
      if (status !== 'in progress' || i >= PROBE_POLLS)
        throw new Error(`transaction ${xid}: ${status ?? 'unknown'}`);
      await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
    }
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/**
 * Whether a COMMIT's error leaves it unknown whether the transaction committed: no answer at all (a broken
 * connection), or a FATAL one (the backend ended, e.g. pg_terminate_backend: it may end after the commit record
 * is durable and before the answer). An ERROR-severity answer (a deferred constraint, a serialization failure)
 * comes before the commit record: nothing was committed.
 */
export function outcomeUnknown(err: unknown): boolean {
  if (err instanceof NotCommitted) return false;
  // Only PostgreSQL's own answers have a severity: a socket error (ECONNRESET, EPIPE), a connection that
  // ended, or a client-side failure has none.
  const severity = (err as { severity?: string }).severity;
  return severity === undefined || severity === 'FATAL' || severity === 'PANIC';
}

/** How a batch's COMMIT was known to have landed: by its answer, or by a lookup after its answer was lost. */
export type Committed = 'answered' | 'probed';

/** How long `landed` waits for a transaction in progress to end (polls × ms), and to connect. */
const PROBE_POLLS = 100;
const PROBE_POLL_MS = 20;
const PROBE_CONNECT_MS = 5_000;

/**
 * A batch whose COMMIT got no answer, and whose outcome could not be found out (its backend did not end, or
 * the lookup failed): it may have committed. Its items fail, and none is posted again by the engine.
 */
export class OutcomeUnknown extends Error {
  constructor(
    readonly commitError: unknown,
    cause: unknown,
  ) {
    super("ledger batch outcome unknown: COMMIT got no answer and PostgreSQL's record could not tell", {
      cause,
    });
  }
}

/** A COMMIT that PostgreSQL answered with another command (ROLLBACK): the transaction had failed. */
export class NotCommitted extends Error {
  constructor(command: string) {
    super(`ledger batch not committed: COMMIT answered ${command}`);
  }
}
