import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/database.js';
import { listenChannel } from '../../src/db/listener.js';
import { createLogger } from '../../src/lib/logger.js';
import { listenForApprovals } from '../../src/modules/payouts/index.js';
import { Wakeups } from '../../src/modules/webhooks/delivery/wakeups.js';
import { PAYOUTS_CHANNEL } from '../../src/modules/withdrawals/index.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';

// LISTEN connections heal themselves (src/db/listener.ts). The payout worker's listener did not: once its
// connection ended (a failover, pg_terminate_backend, an idle timeout), approvals waited for the next tick for
// good. Each listener now reconnects, one connection at a time, and calls back once when it is back.

let dbName = '';
let pool: Pool;
const log = createLogger('silent');

beforeAll(async () => {
  dbName = await createTestDatabase();
  pool = createPool(databaseUrl(dbName), 2);
});
afterAll(async () => {
  await pool?.end();
  if (dbName) await dropTestDatabase(dbName);
});

/** The backends of this database that are LISTENing (their last statement was the LISTEN). */
async function listeners(): Promise<number[]> {
  const r = await pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = $1 and query ilike 'listen %' and pid <> pg_backend_pid()`,
    [dbName],
  );
  return r.rows.map((x) => x.pid);
}

async function killListeners(): Promise<void> {
  const pids = await listeners();
  expect(pids).toHaveLength(1);
  await pool.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [pids]);
}

/** A listener of channel test_wake on database `db`, retrying every 50 ms, counting its calls. */
async function testListener(db: string) {
  const counter = { calls: 0 };
  const l = await listenChannel({
    databaseUrl: databaseUrl(db),
    channel: 'test_wake',
    onNotify: () => counter.calls++,
    log,
    what: 'test',
    retryMs: 50,
  });
  return { l, counter };
}

describe('a LISTEN connection', () => {
  it('comes back after its backend is terminated, once, and says so with a call', async () => {
    const { l, counter } = await testListener(dbName);
    try {
      expect(l.listening).toBe(true);
      await pool.query(`select pg_notify('test_wake', '')`);
      await expect.poll(() => counter.calls).toBe(1);
      for (let round = 0; round < 3; round++) {
        const before = counter.calls;
        await killListeners();
        // Back: one call for the gap, and exactly one listening connection again.
        await expect.poll(() => counter.calls).toBe(before + 1);
        expect(l.listening).toBe(true);
        expect(await listeners()).toHaveLength(1);
        await pool.query(`select pg_notify('test_wake', '')`);
        await expect.poll(() => counter.calls).toBe(before + 2);
      }
    } finally {
      await l.close();
    }
    expect(l.listening).toBe(false);
    await expect.poll(() => listeners()).toEqual([]);
  });

  it("keeps the payout worker's approvals waking it after its connection ended", async () => {
    let pokes = 0;
    const stop = await listenForApprovals(databaseUrl(dbName), () => pokes++, log);
    try {
      await expect.poll(() => listeners().then((x) => x.length)).toBe(1);
      await killListeners();
      await expect.poll(() => listeners().then((x) => x.length), { timeout: 5_000 }).toBe(1);
      const before = pokes;
      await pool.query('select pg_notify($1, $2)', [PAYOUTS_CHANNEL, 'pay_test']);
      await expect.poll(() => pokes).toBeGreaterThan(before);
    } finally {
      await stop();
    }
  });

  it('calls back when it first gets through after failed attempts (what was notified meanwhile)', async () => {
    const later = `${dbName}_later`;
    const { l, counter } = await testListener(later);
    try {
      expect(l.listening).toBe(false); // the database does not exist yet
      await pool.query(`create database ${later}`);
      await expect.poll(() => l.listening).toBe(true);
      expect(counter.calls).toBe(1);
    } finally {
      await l.close();
      await pool.query(`drop database if exists ${later} with (force)`);
    }
  });

  it('is closed when its owner stops while it is still connecting', async () => {
    const w = new Wakeups(databaseUrl(dbName), log);
    const listening = w.listen(() => undefined);
    await w.close(); // before the LISTEN is in place
    await listening;
    await expect.poll(() => listeners()).toEqual([]);
  });
});
