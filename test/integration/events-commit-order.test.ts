import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm } from '../../src/db/database.js';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX, withAdmin } from '../helpers/db.js';
import { untilListable } from '../helpers/outbox.js';

// Migration20261208100000_events_commit_order on a database with events already in it: the rows from
// before take transaction 0, keep their order among themselves, and every event written afterwards sorts
// newer than all of them and takes its writer's transaction id. The list's query then uses its index.

const BEFORE = 'Migration20261207300000_deposit_confirming';
let name = '';
let pool: pg.Pool;

beforeAll(async () => {
  name = scratchName(TEST_DB_PREFIX);
  await withAdmin((c) => c.query(`create database "${name}"`));
  const orm = await openOrm(databaseUrl(name), 2, () => undefined);
  try {
    await orm.getMigrator().up({ to: BEFORE });
    pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
    // An idle client whose connection ends (a terminated backend) is replaced; unheard, its error would be
    // an uncaught exception in the worker process, which other test files share (a full run saw a 57P01 once).
    pool.on('error', () => undefined);
    await pool.query(`insert into merchants (id, name) values ('mer_a', 'A')`);
    // Written out of time order, as transactions committing late left them.
    await pool.query(
      `insert into events (id, merchant_id, mode, type, payload, created_at) values
         ('evt_2', 'mer_a', 'test', 'balance.adjusted', '{}', '2026-12-01T00:00:02Z'),
         ('evt_1', 'mer_a', 'test', 'balance.adjusted', '{}', '2026-12-01T00:00:01Z'),
         ('evt_3', 'mer_a', 'test', 'balance.adjusted', '{}', '2026-12-01T00:00:03Z')`,
    );
    await orm.getMigrator().up();
  } finally {
    await orm.close(true);
  }
});

afterAll(async () => {
  await pool?.end();
  if (name) await dropTestDatabase(name);
});

const LIST = `select id, txid::text as xid from events
              where merchant_id = 'mer_a' and mode = 'test' and txid < (select pg_snapshot_xmin(pg_current_snapshot()))
              order by txid desc, created_at desc, id desc`;

describe('events commit order migration', () => {
  it('gives rows from before transaction 0, in their old order, behind every later event', async () => {
    expect((await pool.query(LIST)).rows).toEqual([
      { id: 'evt_3', xid: '0' },
      { id: 'evt_2', xid: '0' },
      { id: 'evt_1', xid: '0' },
    ]);
    // An event written now, with a time older than all of them, is newer in the list: its writer's id.
    const c = await pool.connect();
    try {
      await c.query('begin');
      const xid = (await c.query<{ x: string }>('select pg_current_xact_id()::text as x')).rows[0]!.x;
      await c.query(
        `insert into events (id, merchant_id, mode, type, payload, created_at)
         values ('evt_0', 'mer_a', 'test', 'balance.adjusted', '{}', '2026-11-01T00:00:00Z')`,
      );
      await c.query('commit');
      await untilListable(pool);
      const rows = (await pool.query(LIST)).rows;
      expect(rows.map((r) => r.id)).toEqual(['evt_0', 'evt_3', 'evt_2', 'evt_1']);
      expect(rows[0].xid).toBe(xid);
    } finally {
      c.release();
    }
  });

  it("reads a merchant's page from its index, in order, the horizon and the cursor as its bounds", async () => {
    const c = await pool.connect();
    try {
      // Other merchants' events, so that one merchant's are a few of many.
      await c.query(`insert into merchants (id, name) select 'mer_' || i, 'M' from generate_series(1, 50) i`);
      await c.query(
        `insert into events (id, merchant_id, mode, type, payload)
         select 'evt_x' || i, 'mer_' || (i % 50 + 1), 'test', 'balance.adjusted', '{}' from generate_series(1, 20000) i`,
      );
      await c.query('analyze events');
      const page = LIST.replace("'mer_a'", "'mer_1'").replace(
        'order by',
        "and (txid, created_at, id) < ('18446744073709551', now(), 'z') order by",
      );
      const plan = JSON.stringify(
        (await c.query(`explain (format json) ${page} limit 21`)).rows[0]['QUERY PLAN'],
      );
      expect(plan).toContain('"Index Name":"events_list_txid_idx"');
      expect(plan).toMatch(/"Index Cond":"[^"]*txid < \$0/);
      expect(plan).not.toContain('"Node Type":"Sort"');
    } finally {
      c.release();
    }
  });
});
