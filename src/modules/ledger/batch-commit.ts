import type { Pool, PoolClient } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { SQL } from './sql.js';
import type { ItemOutcome } from './types.js';

// A batch's COMMIT, and what the engine knows after it: committed (answered, or found after its answer was
// lost), not committed (ROLLBACK, or an ERROR answer, which comes before the commit record), or unknown (no
// answer and no way to find out), which the engine never posts again.

/**
 * COMMIT, and when it fails without an answer (a broken connection), find out whether it landed: a batch
 * that committed must be answered as committed, never as an error a client would retry.
 */
export async function commitBatch(
  pool: Pool,
  log: Logger,
  client: PoolClient,
  outcomes: ItemOutcome[],
): Promise<Committed> {
  let command: string;
  try {
    command = (await client.query('commit')).command;
  } catch (err) {
    if (!outcomeUnknown(err) || !(await landed(pool, client, outcomes, err))) throw err;
    log.warn({ err }, 'ledger COMMIT answered with an error but the batch had committed');
    return 'probed';
  }
  // PostgreSQL answers ROLLBACK to the COMMIT of a transaction an error ended: nothing was committed.
  if (command !== 'COMMIT') throw new NotCommitted(command);
  return 'answered';
}

/**
 * Whether a batch whose COMMIT got no usable answer committed: its first transaction looked up on another
 * connection, once the batch's backend has ended (cut off from its client, a backend may still be committing,
 * and a lookup before it is done would see nothing). A batch with no transaction wrote no money (nothing to
 * look up: posting it again replays or re-runs its keyed items). When the backend does not end, or the lookup
 * fails, the outcome stays unknown (OutcomeUnknown), and nothing of the batch is posted again.
 */
async function landed(
  pool: Pool,
  client: PoolClient,
  outcomes: ItemOutcome[],
  err: unknown,
): Promise<boolean> {
  const probe = outcomes.find((o) => o.ok && o.transactions.length > 0);
  if (!probe?.ok) return false;
  const pid = (client as unknown as { processID?: number }).processID;
  try {
    for (let i = 0; pid !== undefined; i++) {
      const alive = await pool.query({ ...SQL.backendAlive, values: [pid] });
      if (alive.rowCount === 0) break;
      if (i >= BACKEND_END_POLLS) throw new Error(`backend ${pid} still running`);
      await new Promise((r) => setTimeout(r, BACKEND_END_POLL_MS));
    }
    const found = await pool.query({ ...SQL.transactionExists, values: [probe.transactions[0]!.id] });
    return found.rowCount === 1;
  } catch (e) {
    throw new OutcomeUnknown(err, e);
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

/** How long `landed` waits for a batch's backend to end (polls × ms). */
const BACKEND_END_POLLS = 100;
const BACKEND_END_POLL_MS = 20;

/**
 * A batch whose COMMIT got no answer, and whose outcome could not be found out (its backend did not end, or
 * the lookup failed): it may have committed. Its items fail, and none is posted again by the engine.
 */
export class OutcomeUnknown extends Error {
  constructor(
    readonly commitError: unknown,
    cause: unknown,
  ) {
    super('ledger batch outcome unknown: COMMIT got no answer and the lookup could not tell', { cause });
  }
}

/** A COMMIT that PostgreSQL answered with another command (ROLLBACK): the transaction had failed. */
export class NotCommitted extends Error {
  constructor(command: string) {
    super(`ledger batch not committed: COMMIT answered ${command}`);
  }
}
