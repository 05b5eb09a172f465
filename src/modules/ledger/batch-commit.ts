import { commitLanded, NotCommitted, outcomeUnknown } from '../../db/commit-outcome.js';
import type { Pool, PoolClient } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';

// A batch's COMMIT, and what the engine knows after it: committed (answered, or found after its answer was
// lost), not committed (ROLLBACK, or an ERROR answer, which comes before the commit record), or unknown (no
// answer and no way to find out: OutcomeUnknown), which the engine never posts again. The rules and the lookup
// are the database layer's (src/db/commit-outcome.ts), shared with inTransaction.

/**
 * COMMIT, and when it fails without a usable answer (a broken connection, a FATAL one), find out whether it
 * landed: a batch that committed must be answered as committed, never as an error a client would retry.
 * `xid` is the batch transaction's id (SQL.currentXid, read before the write). When PostgreSQL's record cannot
 * tell within a few seconds, or cannot be read, the outcome stays unknown (OutcomeUnknown), and nothing of the
 * batch is posted again.
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
    if (!outcomeUnknown(err) || !(await commitLanded(pool, xid, err, 'ledger batch'))) throw err;
    log.warn({ err }, 'ledger COMMIT answered with an error but the batch had committed');
    return 'probed';
  }
  // PostgreSQL answers ROLLBACK to the COMMIT of a transaction an error ended: nothing was committed.
  if (command !== 'COMMIT') throw new NotCommitted(command, 'ledger batch');
  return 'answered';
}

/** How a batch's COMMIT was known to have landed: by its answer, or by a lookup after its answer was lost. */
export type Committed = 'answered' | 'probed';
