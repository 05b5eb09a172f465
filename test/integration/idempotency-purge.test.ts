import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import {
  type InsertOptions,
  insertRecords,
  item,
  keys,
  records,
  TTL_HOURS,
  usePurgeRig,
} from '../helpers/idempotency-records.js';

// The purge of expired idempotency records (src/modules/idempotency/purge.ts) on the real database: what it
// deletes and keeps, and that it never gets in the way of claims taking expired keys over inside their
// transactions (IdempotencyService.claimWithin, as ledger batches do).

const t = useTestApp();
const rig = usePurgeRig(t, 12);

const insert = (m: TestMerchant, keys: string[], ageHours: number, opts?: InsertOptions) =>
  insertRecords(rig.pool, m, keys, ageHours, opts);
const rows = (m: TestMerchant) => records(rig.pool, m);

describe('purging expired idempotency records', () => {
  it('deletes completed records and dead claims past the TTL in batches, and keeps fresh ones', async () => {
    const m = await t.merchant();
    await insert(m, keys('expired', 2500), TTL_HOURS + 1);
    await insert(m, keys('fresh', 30), TTL_HOURS - 1);
    // Claims whose requests died (a deposit-address claim, the process killed before it completed it).
    await insert(m, keys('dead-claim', 20), TTL_HOURS * 10, { state: 'in_progress' });
    await insert(m, keys('fresh-claim', 5), TTL_HOURS - 1, { state: 'in_progress' });
    // Past the TTL but locked within IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: no retry could take it over yet.
    await insert(m, keys('locked-claim', 4), TTL_HOURS + 1, { state: 'in_progress', lockedSecondsAgo: 5 });

    expect(await rig.purger.purgeExpiredBatches()).toEqual({ purged: 2520, batches: 3 });
    const left = await rows(m);
    expect([...left.keys()].sort()).toEqual(
      [...keys('fresh', 30), ...keys('fresh-claim', 5), ...keys('locked-claim', 4)].sort(),
    );
    expect(await rig.purger.purgeExpiredBatches()).toEqual({ purged: 0, batches: 1 });

    await insert(m, keys('more', 7), TTL_HOURS + 5);
    await insert(m, keys('more-dead', 4), TTL_HOURS + 5, { state: 'in_progress' });
    expect(await rig.purger.purgeExpired({ batchSize: 3 })).toBe(11);
    expect((await rows(m)).size).toBe(39);
  });

  it('stops between batches when asked to (a worker shutting down)', async () => {
    const m = await t.merchant();
    await insert(m, keys('backlog', 25), TTL_HOURS + 1);
    let asked = 0;
    const r = await rig.purger.purgeExpiredBatches({ batchSize: 10, shouldStop: () => ++asked === 2 });
    expect(r).toEqual({ purged: 20, batches: 2 });
    expect((await rows(m)).size).toBe(5);
    expect(await rig.purger.purgeExpired()).toBe(5);
  });

  it('never waits for a batch that claimed expired keys, and the batch keeps its records', async () => {
    const m = await t.merchant();
    await insert(m, ['a', 'b', 'c'], TTL_HOURS + 1);
    const client = await rig.pool.connect();
    try {
      await client.query('begin');
      // The batch holds 'a' (claimed, uncommitted) and then wants 'b': the shape that deadlocked with a purge
      // deleting every expired row in one statement while claims wrote their rows at once.
      expect(await rig.claimer.claimWithin(client, [item(m, 'a')])).toEqual(['won']);
      // Runs to the end while the claim's transaction is open (its connections give up on any lock wait). A
      // won claim writes nothing before its batch's write, so all three expired records go.
      expect(await rig.purger.purgeExpired()).toBe(3);
      expect(await rig.claimer.claimWithin(client, [item(m, 'b')])).toEqual(['won']);
      await rig.claimer.recordWithin(client, [
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
    expect(await rig.purger.purgeExpired()).toBe(0);
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
  // What each key's record is at the start: an expired completed record, a claim whose request died past the
  // TTL, or a stale claim still within it (kept unless a batch takes it over). Claims are of the batches'
  // requests, so a batch may take them over.
  kinds: fc.array(fc.constantFrom('completed', 'dead', 'fresh'), { minLength: 120, maxLength: 120 }),
});

const AGE = { completed: TTL_HOURS + 1, dead: TTL_HOURS + 1, fresh: TTL_HOURS - 1 } as const;

/** The keys of `keyList` that are `in_progress` records, read by `client` (inside its transaction). */
async function claimsOf(client: pg.PoolClient, m: TestMerchant, keyList: string[]): Promise<string[]> {
  const r = await client.query<{ key: string }>(
    `select key from idempotency_keys
     where merchant_id = $1 and mode = $2 and key = any($3::text[]) and state = 'in_progress' order by key`,
    [m.merchantId, m.mode, keyList],
  );
  return r.rows.map((x) => x.key);
}

describe('a purge running with claims that take expired keys and dead claims over', () => {
  it('never deadlocks nor waits for them, never deletes a claim a batch holds, nor a key a committed claim took over', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const m = await t.merchant();
        const all = keys(`r${run++}`, s.keyCount);
        // Inserted in shuffled order: the table's physical order is not the claims' key order.
        const shuffled = all.map((k, i) => [s.order[i]!, k] as const).sort(([a], [b]) => a - b);
        for (const kind of ['completed', 'dead', 'fresh'] as const) {
          const these = shuffled.map(([, k]) => k).filter((k) => s.kinds[all.indexOf(k)] === kind);
          const state = kind === 'completed' ? 'completed' : 'in_progress';
          await insert(m, these, AGE[kind], { state, ownHash: true });
        }
        const winners = new Map<string, number>();
        const runBatch = async (b: Batch, n: number) => {
          const client = await rig.pool.connect();
          try {
            await client.query('begin');
            const mine = b.keys.filter((k) => k < all.length).map((k) => item(m, all[k]!));
            const claims = await rig.claimer.claimWithin(client, mine);
            const won = mine.filter((_, i) => claims[i] === 'won');
            // A claim this batch took over is its own until it commits: no purge deletes it meanwhile.
            const held = await claimsOf(
              client,
              m,
              won.map((w) => w.scope.key),
            );
            await rig.purger.purgeExpired({ batchSize: s.batchSize });
            expect(await claimsOf(client, m, held)).toEqual(held);
            await rig.claimer.recordWithin(
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
          do purged += await rig.purger.purgeExpired({ batchSize: s.batchSize });
          while (claiming);
          return purged;
        };
        const claims = Promise.all(s.batches.map(runBatch)).finally(() => {
          claiming = false;
        });
        // Every claim and purge finishes without an error (a deadlock is 40P01, a wait past 3 s 55P03).
        for (const r of await Promise.allSettled([claims, ...Array.from({ length: s.purgers }, purging)]))
          if (r.status === 'rejected') throw r.reason;
        await rig.purger.purgeExpired();

        // Left: exactly the keys a committed claim won, each with that claim's result, and the fresh claims
        // no batch took over. Dead claims went like expired records.
        const left = await rows(m);
        const fresh = all.filter((k, i) => s.kinds[i] === 'fresh' && !winners.has(k));
        expect(new Set(left.keys())).toEqual(new Set([...winners.keys(), ...fresh]));
        for (const [key, n] of winners)
          expect(left.get(key)).toEqual({ state: 'completed', result: { batch: n } });
        for (const key of fresh) expect(left.get(key)?.state).toBe('in_progress');
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
    await rig.pool.query(
      `update idempotency_keys set created_at = created_at - make_interval(hours => $3)
       where merchant_id = $1 and mode = $2`,
      [m.merchantId, m.mode, TTL_HOURS + 1],
    );

    let sending = true;
    const purging = async () => {
      do await rig.purger.purgeExpired({ batchSize: 3 });
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
    expect(await rig.purger.purgeExpired()).toBe(0);
    // A replay now answers from the new records.
    expect((await send(sent[0]!)).headers['idempotent-replayed']).toBe('true');
  });
});
