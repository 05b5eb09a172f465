import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { AppError } from '../lib/errors.js';
import { CURRENT_XID, commitLanded, NotCommitted, outcomeUnknown } from './commit-outcome.js';
import { type KnexLog, ormOptions } from './mikro-orm.config.js';

// node-postgres returns int8 as text by default; the ledger wants bigint, never a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Creates the database named in `databaseUrl` when it does not exist yet (idempotent, race-safe). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
    } catch (err) {
      // Another process created it between our check and our create.
      if ((err as { code?: string }).code !== '42P04') throw err;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

export async function openOrm(
  databaseUrl: string,
  poolSize: number,
  logger?: (message: string) => void,
  knexLog?: KnexLog,
): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl, poolSize, logger, knexLog));
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}

/**
 * The ledger's own pool: the hot path uses named prepared statements and multi-row `unnest` writes,
 * which node-postgres does directly and an ORM does not. Everything else goes through MikroORM.
 */
/**
 * The connections' settings, after the operator's PGOPTIONS (the last -c of a name wins). READ COMMITTED
 * whatever the role's or the database's default: the code is written for it. A ledger batch's key claim reads
 * the key's record in a statement after the one that took its lock (idempotency/service.ts claimWithin), to
 * see a batch that committed in between; under REPEATABLE READ that read would use the transaction's first
 * snapshot, taken before the lock, and two batches could post one key.
 */
function connectionOptions(asyncCommit: boolean): string {
  return [
    process.env.PGOPTIONS,
    '-c default_transaction_isolation=read\\ committed',
    asyncCommit ? '-c synchronous_commit=off' : null,
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * `pipeline`: a statement is sent without waiting for the answer to the one before it on the connection
 * (node-postgres' pipeline mode; answers still come in order, each statement ends with its own Sync, so an
 * error fails only its own statement). Code that awaits each statement behaves as without it; the ledger
 * sends BEGIN with its first statement and COMMIT with its write (posting-engine.ts). Cursors and the `rows`
 * option are refused on such a connection.
 *
 * `asyncCommit`: its connections commit without waiting for the WAL flush (synchronous_commit=off). Only for
 * writes that a later synchronous commit makes durable anyway: that commit flushes the WAL up to itself, so
 * every earlier record with it (an idempotency claim, completed by its ledger batch's commit).
 */
export function createPool(
  databaseUrl: string,
  max: number,
  opts: { asyncCommit?: boolean; pipeline?: boolean; queryTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    pipeline: opts.pipeline ?? false,
    options: connectionOptions(opts.asyncCommit ?? false),
    // A query unanswered this long fails (the pool drops its connection): one whose server went silent
    // mid-query (a host lost, a network cut) is otherwise waited for as long as the kernel keeps the socket.
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  // A checked-out client has no listener of the pool's: when its connection ends between two of its queries
  // (pg_terminate_backend, a failover, a network cut) the client emits 'error', which unheard would end the
  // process. The queries in flight fail with it, the next one is refused ('not queryable'), and the pool drops
  // the client when it comes back.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/**
 * Runs `fn` in one database transaction on a pooled connection: commit on success, roll back on error.
 *
 * An answer of failure never hides a committed change. The transaction's id is read behind BEGIN (pipelined on
 * the main pool: no round trip of its own); when COMMIT fails without PostgreSQL's answer (a broken connection,
 * a socket error: no severity) or with a FATAL one (the backend ended, possibly after the commit record was
 * durable), PostgreSQL's record of the transaction settles it (commit-outcome.ts): committed, `fn`'s result is
 * returned; aborted, a 503 `service_unavailable` (nothing was done: retry); cannot tell, OutcomeUnknown is thrown
 * (it may have committed).
 * An ERROR answer to COMMIT (a deferred constraint, a serialization failure) and a COMMIT answered ROLLBACK (an
 * error inside `fn` was swallowed: NotCommitted) are failures with nothing committed. A connection that lost an
 * answer, or could not roll back, is released with its error, so the pool discards it.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let open = true;
  let broken: Error | undefined;
  try {
    const begun = client.query('begin');
    const xidRead = client.query<{ xid: string }>(CURRENT_XID);
    xidRead.catch(() => undefined); // awaited below, unless BEGIN's error (answered first) is thrown before
    await begun;
    const xid = (await xidRead).rows[0]!.xid;
    const out = await fn(client);
    // COMMIT ends the transaction whatever its answer: nothing is left to roll back.
    open = false;
    let command: string;
    try {
      command = (await client.query('commit')).command;
    } catch (err) {
      if (!outcomeUnknown(err)) throw err;
      broken = err as Error;
      if (await commitLanded(pool, xid, err)) return out;
      // PostgreSQL's record says it did not commit: a 503 (retry), not a 500. Its cause is COMMIT's error.
      throw Object.assign(
        new AppError(
          'service_unavailable',
          'The connection to the database was lost while this request was committing, and the database shows ' +
            'that its change was not committed: retry the request',
        ),
        { cause: err },
      );
    }
    if (command !== 'COMMIT') throw new NotCommitted(command);
    return out;
  } catch (err) {
    if (open)
      await client.query('rollback').catch((e: Error) => {
        broken = e;
      });
    throw err;
  } finally {
    client.release(broken);
  }
}
