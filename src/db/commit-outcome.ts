import pg from 'pg';

// What is known of a transaction after its COMMIT: committed (answered COMMIT, or found committed after its
// answer was lost), not committed (answered ROLLBACK, or an ERROR, which comes before the commit record), or
// unknown (no answer, and PostgreSQL's record of the transaction could not tell). A change that committed must
// be answered as committed, never as an error a caller would take for "nothing was done". Used by
// inTransaction (database.ts) and the ledger's batches (modules/ledger/batch-commit.ts).

/**
 * The current transaction's id, read inside it (pipelined right behind BEGIN, it costs no round trip of its own):
 * what `transactionCommitted` asks about should its COMMIT's answer be lost. It assigns the transaction an id
 * at once, which a transaction that writes gets anyway (one that only reads then writes a commit record too).
 */
export const CURRENT_XID = {
  name: 'current_xid',
  text: 'select pg_current_xact_id()::text as xid',
} as const;

/** A transaction's fate: 'in progress', 'committed', 'aborted' (null when too old to tell). */
const XACT_STATUS = {
  name: 'xact_status',
  text: 'select pg_xact_status($1::xid8) as status',
} as const;

/** How long `transactionCommitted` waits for a transaction in progress to end (polls × ms), and to connect. */
const PROBE_POLLS = 100;
const PROBE_POLL_MS = 20;
const PROBE_CONNECT_MS = 5_000;

/**
 * Whether transaction `xid` (CURRENT_XID read inside it) committed, by PostgreSQL's own record
 * (pg_xact_status), asked until it is no longer in progress: cut off from its client, a backend may still be
 * committing. Asked on a connection of its own, not one of the pool's: the pool may have none free (the broken
 * client is still checked out, and the pool's other users may be waiting the same way). Throws when the record
 * cannot tell within a few seconds, or cannot be read.
 */
export async function transactionCommitted(pool: pg.Pool, xid: string): Promise<boolean> {
  const probe = new pg.Client({
    connectionString: pool.options.connectionString,
    connectionTimeoutMillis: PROBE_CONNECT_MS,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    for (let i = 0; ; i++) {
      const status = (await probe.query({ ...XACT_STATUS, values: [xid] })).rows[0]?.status as string | null;
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
 * Whether the transaction `xid`, whose COMMIT failed with `commitError` (an error `outcomeUnknown` accepts),
 * committed: true or false by PostgreSQL's record, and OutcomeUnknown when the record cannot tell (`what`
 * names the transaction in its message).
 */
export async function commitLanded(
  pool: pg.Pool,
  xid: string,
  commitError: unknown,
  what = 'transaction',
): Promise<boolean> {
  try {
    return await transactionCommitted(pool, xid);
  } catch (e) {
    throw new OutcomeUnknown(commitError, e, what);
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
  // node-postgres refuses a query on a client whose connection had already failed without sending it: that
  // COMMIT never reached PostgreSQL, so nothing committed (and PostgreSQL may be unreachable: no lookup).
  if (err instanceof Error && NOT_SENT.test(err.message)) return false;
  // Only PostgreSQL's own answers have a severity: a socket error (ECONNRESET, EPIPE), a connection that
  // ended, or a client-side failure has none.
  const severity = (err as { severity?: string }).severity;
  return severity === undefined || severity === 'FATAL' || severity === 'PANIC';
}

/** node-postgres' message for a query it refused to send ('… and is not queryable'). */
const NOT_SENT = /^Client (?:has encountered a connection error|was closed) and is not queryable$/;

/**
 * A transaction whose COMMIT got no answer, and whose outcome could not be found out (its backend did not end,
 * or the lookup failed): it may have committed. Not a failure to retry as one: whoever acts on it must check
 * what is there first. `commitError` is COMMIT's error, `cause` the lookup's.
 */
export class OutcomeUnknown extends Error {
  constructor(
    readonly commitError: unknown,
    cause: unknown,
    what = 'transaction',
  ) {
    super(`${what} outcome unknown: COMMIT got no answer and PostgreSQL's record could not tell`, { cause });
  }
}

/**
 * What a caller is told of an OutcomeUnknown (still a 500 `internal_error`: nothing internal in it), so it
 * knows the request may have been applied and how to find out safely.
 */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The connection to the database was lost while this request was committing, and whether it was applied ' +
  'could not be found out. Retry it with the same Idempotency-Key if it had one (it is applied at most once); ' +
  'otherwise check whether it was applied before sending it again.';

/** A COMMIT that PostgreSQL answered with another command (ROLLBACK): the transaction had failed. */
export class NotCommitted extends Error {
  constructor(command: string, what = 'transaction') {
    super(`${what} not committed: COMMIT answered ${command}`);
  }
}
