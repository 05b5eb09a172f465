import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotCommitted, OutcomeUnknown } from '../../src/db/commit-outcome.js';
import { createPool, inTransaction, type Pool, type PoolClient } from '../../src/db/database.js';
import { AppError } from '../../src/lib/errors.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.js';

// inTransaction (src/db/database.ts) whose COMMIT reached PostgreSQL but whose answer did not come back (the
// proxy cuts the connection right after forwarding COMMIT, as a failover or a network reset would): it threw, so
// every caller answered 500 for a change that was committed. It now settles the outcome by PostgreSQL's record
// of the transaction: committed is a success, rolled back is still the error, and unknown is OutcomeUnknown.

let dbName = '';
let proxy: PgProxy;
/** The pool under test, through the proxy: one connection, pipelined as the app's main pool. */
let pool: Pool;
/** Straight to PostgreSQL, for looking at what was committed. */
let direct: Pool;

beforeAll(async () => {
  dbName = await createTestDatabase();
  proxy = await startPgProxy();
  pool = createPool(proxy.url(dbName), 1, { pipeline: true });
  direct = createPool(databaseUrl(dbName), 1);
  await direct.query(`create table intx_rows (id text primary key)`);
  // Checked at COMMIT: a duplicate is refused by COMMIT's answer, after every statement succeeded.
  await direct.query(`create table intx_deferred (n int, unique (n) deferrable initially deferred)`);
  await direct.query(`insert into intx_deferred values (1)`);
});
afterAll(async () => {
  await pool?.end();
  await direct?.end();
  await proxy?.close();
  if (dbName) await dropTestDatabase(dbName);
});

/** How many rows of `id` were committed. */
async function committed(id: string): Promise<number> {
  const r = await direct.query<{ n: number }>('select count(*)::int as n from intx_rows where id = $1', [id]);
  return r.rows[0]!.n;
}

const insertRow = (id: string) => async (c: PoolClient) => {
  await c.query('insert into intx_rows values ($1)', [id]);
  return `inserted ${id}`;
};

describe('inTransaction whose COMMIT answer is lost', () => {
  it("returns fn's result when PostgreSQL committed it", async () => {
    const before = proxy.cuts;
    proxy.cutAfterCommit();
    await expect(inTransaction(pool, insertRow('lost-committed'))).resolves.toBe('inserted lost-committed');
    expect(proxy.cuts).toBe(before + 1);
    expect(await committed('lost-committed')).toBe(1);
    // The pool goes on with a new connection (the broken one was discarded).
    await expect(inTransaction(pool, insertRow('after'))).resolves.toBe('inserted after');
  });

  it('throws a 503 service_unavailable (nothing was done: retry) when PostgreSQL rolled it back at COMMIT', async () => {
    const before = proxy.cuts;
    proxy.cutAfterCommit();
    const err = await inTransaction(pool, async (c) => {
      // A deferred constraint: COMMIT itself fails, and its answer is lost.
      await c.query('insert into intx_deferred values (1)');
      await c.query(`insert into intx_rows values ('lost-rolled-back')`);
    }).catch((e: unknown) => e);
    expect(proxy.cuts).toBe(before + 1);
    expect(err).toBeInstanceOf(AppError);
    expect([(err as AppError).code, (err as AppError).status]).toEqual(['service_unavailable', 503]);
    expect(await committed('lost-rolled-back')).toBe(0);
  });

  it("throws OutcomeUnknown, not COMMIT's error, when PostgreSQL's record cannot be read", async () => {
    // The pool's connection is open; then the server becomes unreachable for new ones, the lookup's included.
    await pool.query('select 1');
    proxy.refuseNewConnections(true);
    try {
      proxy.cutAfterCommit();
      const err = await inTransaction(pool, insertRow('lost-unknown')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutcomeUnknown);
      expect((err as OutcomeUnknown).commitError).toBeInstanceOf(Error);
    } finally {
      proxy.refuseNewConnections(false);
    }
    // PostgreSQL commits it (the answer could not wait for that): OutcomeUnknown is not "nothing was done".
    await expect.poll(() => committed('lost-unknown')).toBe(1);
  });
});

describe('inTransaction whose connection ended before COMMIT', () => {
  it("throws the connection's error, not OutcomeUnknown, without a lookup: COMMIT was never sent", async () => {
    await pool.query('select 1');
    // Unreachable for new connections: a lookup would fail and answer OutcomeUnknown (a 500, not a retry).
    proxy.refuseNewConnections(true);
    try {
      const err = await inTransaction(pool, async (c) => {
        await insertRow('terminated')(c);
        const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
        const ended = new Promise((resolve) => c.once('end', resolve));
        await direct.query('select pg_terminate_backend($1)', [pid]);
        await ended; // node-postgres has seen its connection end: it sends nothing more
        return 'never';
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(OutcomeUnknown);
      expect((err as Error).message).toMatch(/not queryable/);
    } finally {
      proxy.refuseNewConnections(false);
    }
    expect(await committed('terminated')).toBe(0);
  });
});

describe('inTransaction whose transaction PostgreSQL did not commit', () => {
  it("throws fn's error, and nothing of it is committed", async () => {
    const boom = new Error('fn failed');
    await expect(
      inTransaction(pool, async (c) => {
        await insertRow('fn-threw')(c);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await committed('fn-threw')).toBe(0);
  });

  it("throws COMMIT's ERROR answer (a deferred constraint)", async () => {
    const err = await inTransaction(pool, async (c) => {
      await c.query('insert into intx_deferred values (1)');
      await c.query(`insert into intx_rows values ('commit-refused')`);
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('23505');
    expect(await committed('commit-refused')).toBe(0);
  });

  it('throws NotCommitted when COMMIT is answered ROLLBACK (fn swallowed an error)', async () => {
    const err = await inTransaction(pool, async (c) => {
      await insertRow('swallowed')(c);
      await c.query('select 1/0').catch(() => undefined);
      return 'looks fine';
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotCommitted);
    expect(await committed('swallowed')).toBe(0);
  });
});
