import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/database.js';
import { IdempotencyService, requestHash } from '../../src/modules/idempotency/index.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { fuzzParams } from '../helpers/fuzz.js';

// The purge of expired idempotency records (src/modules/idempotency/purge.ts) on the real database: what it
// deletes and keeps, and that it never gets in the way of claims taking expired keys over inside their
// transactions (IdempotencyService.claimWithin, as ledger batches do).

const t = useTestApp();
const TTL_HOURS = 48;
const LOCK_TIMEOUT_SECONDS = 60;

let pool: Pool;
/** Purges on connections that give up on any lock after 3 s: a purge that waits for a claim's row fails. */
let purgePool: Pool;
let purger: IdempotencyService;
let claimer: IdempotencyService;

beforeAll(() => {
  expect(t.app.config.idempotencyTtlHours).toBe(TTL_HOURS);
  pool = new pg.Pool({ connectionString: databaseUrl(t.dbName), max: 12 });
  purgePool = new pg.Pool({
    connectionString: databaseUrl(t.dbName),
    max: 4,
    options: '-c lock_timeout=3000',
  });
  purger = new IdempotencyService(purgePool, LOCK_TIMEOUT_SECONDS, TTL_HOURS);
  claimer = new IdempotencyService(pool, LOCK_TIMEOUT_SECONDS, TTL_HOURS);
});
afterAll(async () => {
  await pool?.end();
  await purgePool?.end();
});

type State = 'completed' | 'in_progress';

/** Records of `m` for `keys`, created `ageHours` ago (a `completed` one with a stored result). */
async function insert(m: TestMerchant, keys: string[], ageHours: number, state: State = 'completed') {
  await pool.query(
    `insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state, result, locked_at, created_at, completed_at)
     select $1, $2, k, 'transfer', $3, $4, case when $4 = 'completed' then '{"old":true}'::jsonb end,
            now() - make_interval(hours => $5), now() - make_interval(hours => $5),
            case when $4 = 'completed' then now() - make_interval(hours => $5) end
     from unnest($6::text[]) as k`,
    [m.merchantId, m.mode, requestHash('transfer', { old: true }), state, ageHours, keys],
  );
}

async function rows(m: TestMerchant): Promise<Map<string, { state: string; result: unknown }>> {
  const r = await pool.query<{ key: string; state: string; result: unknown }>(
    'select key, state, result from idempotency_keys where merchant_id = $1 and mode = $2',
    [m.merchantId, m.mode],
  );
  return new Map(r.rows.map((x) => [x.key, { state: x.state, result: x.result }]));
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** A claim item of `m` for `key`. */
const item = (m: TestMerchant, key: string) => ({
  scope: { merchantId: m.merchantId, mode: m.mode, key },
  operation: 'transfer',
  hash: requestHash('transfer', { key }),
});

describe('purging expired idempotency records', () => {
  it('deletes completed records past the TTL in batches, and keeps fresh ones and in-progress ones', async () => {
    const m = await t.merchant();
    const expired = keys('expired', 2500);
    await insert(m, expired, TTL_HOURS + 1);
    await insert(m, keys('fresh', 30), TTL_HOURS - 1);
    await insert(m, keys('old-claim', 20), TTL_HOURS * 10, 'in_progress');

    expect(await purger.purgeExpiredBatches()).toEqual({ purged: 2500, batches: 3 });
    const left = await rows(m);
    expect([...left.keys()].sort()).toEqual([...keys('fresh', 30), ...keys('old-claim', 20)].sort());
    expect(await purger.purgeExpiredBatches()).toEqual({ purged: 0, batches: 1 });

    await insert(m, keys('more', 7), TTL_HOURS + 5);
    expect(await purger.purgeExpired({ batchSize: 3 })).toBe(7);
    expect((await rows(m)).size).toBe(50);
  });

  it('stops between batches when asked to (a worker shutting down)', async () => {
    const m = await t.merchant();
    await insert(m, keys('backlog', 25), TTL_HOURS + 1);
    let asked = 0;
    const r = await purger.purgeExpiredBatches({ batchSize: 10, shouldStop: () => ++asked === 2 });
    expect(r).toEqual({ purged: 20, batches: 2 });
    expect((await rows(m)).size).toBe(5);
    expect(await purger.purgeExpired()).toBe(5);
  });

  it('never waits for a batch that claimed expired keys, and the batch keeps its records', async () => {
    const m = await t.merchant();
    await insert(m, ['a', 'b', 'c'], TTL_HOURS + 1);
    const client = await pool.connect();
    try {
      await client.query('begin');
      // The batch holds 'a' (claimed, uncommitted) and then wants 'b': the shape that deadlocked with a purge
      // deleting every expired row in one statement while claims wrote their rows at once.
      expect(await claimer.claimWithin(client, [item(m, 'a')])).toEqual(['won']);
      // Runs to the end while the claim's transaction is open (its connections give up on any lock wait). A
      // won claim writes nothing before its batch's write, so all three expired records go.
      expect(await purger.purgeExpired()).toBe(3);
      expect(await claimer.claimWithin(client, [item(m, 'b')])).toEqual(['won']);
      await claimer.recordWithin(client, [
        { ...item(m, 'a'), result: { ok: 'a' } },
        { ...item(m, 'b'), result: { ok: 'b' } },
      ]);
      await client.query('commit');
    } finally {
      client.release();
    }
    const left = await rows(m);
    expect(Object.fromEntries(left)).toEqual({
      a: { state: 'completed', result: { ok: 'a' } },
      b: { state: 'completed', result: { ok: 'b' } },
    });
    expect(await purger.purgeExpired()).toBe(0);
  });
});

/** One ledger-batch-like transaction: claims its keys, completes those it won, commits or rolls back. */
interface Batch {
  keys: number[];
  commit: boolean;
}

const scenario = fc.record({
  keyCount: fc.integer({ min: 5, max: 120 }),
  batches: fc.array(
    fc.record({
      keys: fc.uniqueArray(fc.nat({ max: 119 }), { minLength: 1, maxLength: 12 }),
      commit: fc.boolean(),
    }),
    { minLength: 5, maxLength: 40 },
  ),
  purgers: fc.integer({ min: 1, max: 3 }),
  batchSize: fc.integer({ min: 1, max: 20 }),
  order: fc.array(fc.nat(), { minLength: 120, maxLength: 120 }),
});

describe('a purge running with claims that take expired keys over', () => {
  it('never deadlocks nor waits for them, and never deletes a key a committed claim took over', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const m = await t.merchant();
        const all = keys(`r${run++}`, s.keyCount);
        // Inserted in shuffled order: the table's physical order is not the claims' key order.
        const shuffled = all.map((k, i) => [s.order[i]!, k] as const).sort(([a], [b]) => a - b);
        await insert(
          m,
          shuffled.map(([, k]) => k),
          TTL_HOURS + 1,
        );
        const winners = new Map<string, number>();
        const runBatch = async (b: Batch, n: number) => {
          const client = await pool.connect();
          try {
            await client.query('begin');
            const mine = b.keys.filter((k) => k < all.length).map((k) => item(m, all[k]!));
            const claims = await claimer.claimWithin(client, mine);
            const won = mine.filter((_, i) => claims[i] === 'won');
            await claimer.recordWithin(
              client,
              won.map((w) => ({ ...w, result: { batch: n } })),
            );
            await client.query(b.commit ? 'commit' : 'rollback');
            if (b.commit) for (const w of won) winners.set(w.scope.key, n);
          } finally {
            client.release();
          }
        };
        let claiming = true;
        const purging = async () => {
          let purged = 0;
          do purged += await purger.purgeExpired({ batchSize: s.batchSize });
          while (claiming);
          return purged;
        };
        const claims = Promise.all(s.batches.map(runBatch)).finally(() => {
          claiming = false;
        });
        // Every claim and purge finishes without an error (a deadlock is 40P01, a wait past 3 s 55P03).
        for (const r of await Promise.allSettled([claims, ...Array.from({ length: s.purgers }, purging)]))
          if (r.status === 'rejected') throw r.reason;
        await purger.purgeExpired();

        // Left: exactly the keys a committed claim won, each with that claim's result.
        const left = await rows(m);
        expect(new Set(left.keys())).toEqual(new Set(winners.keys()));
        for (const [key, n] of winners)
          expect(left.get(key)).toEqual({ state: 'completed', result: { batch: n } });
      }),
      fuzzParams(),
    );
  }, 120_000);
});

describe('keyed transfers retried after their records expired, while purges run', () => {
  it('each runs once more, unreplayed, and its new record is kept', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const sent = keys('order', 40);
    const send = (key: string) =>
      t.request({
        url: '/api/v1/transfer',
        as: m,
        body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
        headers: { 'idempotency-key': key },
      });
    for (const r of await Promise.all(sent.map(send))) expect(r.status).toBe(200);
    await pool.query(
      `update idempotency_keys set created_at = created_at - make_interval(hours => $3)
       where merchant_id = $1 and mode = $2`,
      [m.merchantId, m.mode, TTL_HOURS + 1],
    );

    let sending = true;
    const purging = async () => {
      do await purger.purgeExpired({ batchSize: 3 });
      while (sending);
    };
    const retries = Promise.all(sent.map(send)).finally(() => {
      sending = false;
    });
    const [again] = await Promise.all([retries, purging(), purging()]);
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.headers['idempotent-replayed']).toBeUndefined();
    }
    expect((await t.request({ url: '/api/v1/balance/payer', as: m })).body.balance).toBe(920);
    const left = await rows(m);
    expect([...left.keys()].sort()).toEqual([...sent].sort());
    for (const r of left.values()) expect(r.state).toBe('completed');
    expect(await purger.purgeExpired()).toBe(0);
    // A replay now answers from the new records.
    expect((await send(sent[0]!)).headers['idempotent-replayed']).toBe('true');
  });
});
