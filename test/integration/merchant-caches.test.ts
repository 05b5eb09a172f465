import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { eventually } from '../helpers/receiver.js';

// The merchants module's caches of API keys and of settings (src/modules/merchants/single-flight-cache.ts): one
// lookup per key or merchant when its entry expires under concurrent requests, and an evict (a revocation, a
// settings change) that stays exact for a lookup in flight.
const t = useTestApp();

/** The SQL statements the app's ORM sends while `run` runs. */
async function statements<T>(run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const knex = t.app.orm.em.getConnection().getKnex();
  const sql: string[] = [];
  const onQuery = (q: { sql: string }) => sql.push(q.sql);
  knex.on('query', onQuery);
  try {
    return { result: await run(), sql };
  } finally {
    knex.off('query', onQuery);
  }
}

/** Runs `readAll` at first use, again past CACHE_TTL_MS (its entries expired), and once more: what each sent. */
async function firstExpiredCached<T>(readAll: () => Promise<T>) {
  const first = await statements(readAll);
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(Date.now() + 6_000); // past CACHE_TTL_MS
    const expired = await statements(readAll);
    const cached = await statements(readAll);
    return { first, expired, cached };
  } finally {
    vi.useRealTimers();
  }
}

/**
 * Starts a lookup of the merchant's key that has read the key and waits on the merchant's row (the table is
 * locked by another connection) until `during` has run.
 */
async function lookupInFlight(m: TestMerchant, during: (lock: pg.Client) => Promise<void>) {
  const lock = new pg.Client({ connectionString: databaseUrl(t.dbName) });
  await lock.connect();
  try {
    await lock.query('begin');
    await lock.query('lock table merchants in access exclusive mode');
    const inFlight = t.app.services.merchants.resolveKey(m.apiKey);
    await eventually(async () => {
      const r = await t.app.pool.query(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and query like '%"merchants"%'`,
      );
      return r.rows[0].n > 0;
    });
    await during(lock);
    await lock.query('commit');
    return await inFlight;
  } finally {
    await lock.end();
  }
}

describe('API key cache', () => {
  it('looks a key up once for 32 concurrent requests, at first use and when its entry expires', async () => {
    const m = await t.merchant();
    const merchants = t.app.services.merchants;
    const resolveAll = () => Promise.all(Array.from({ length: 32 }, () => merchants.resolveKey(m.apiKey)));
    const { first, expired, cached } = await firstExpiredCached(resolveAll);
    expect(first.result.every((k) => k?.keyId === m.keyId)).toBe(true);
    expect(first.sql.filter((s) => s.includes('"api_keys"'))).toHaveLength(1);
    expect(expired.result.every((k) => k?.keyId === m.keyId)).toBe(true);
    expect(expired.sql.filter((s) => s.includes('"api_keys"'))).toHaveLength(1);
    expect(expired.sql.filter((s) => s.includes('"merchants"'))).toHaveLength(1);
    expect(cached.sql).toEqual([]);
  });

  it('keeps a key revoked while its lookup was in flight out of the cache', async () => {
    const m = await t.merchant();
    const merchants = t.app.services.merchants;
    let after: Promise<unknown> = Promise.resolve();
    const inFlight = await lookupInFlight(m, async () => {
      await merchants.revokeKey(m.keyId);
      // A request after the revocation does not share the lookup that read the key before it.
      after = merchants.resolveKey(m.apiKey);
    });
    expect(inFlight?.keyId).toBe(m.keyId); // it began before the revocation
    expect(await after).toBeNull();
    expect(await merchants.resolveKey(m.apiKey)).toBeNull();
  });

  it('does not cache a lookup in flight when every key is evicted', async () => {
    const m = await t.merchant();
    const merchants = t.app.services.merchants;
    const inFlight = await lookupInFlight(m, async (lock) => {
      // As when another process revoked it (revocation-bus.ts) and this one drops every key.
      await lock.query('update api_keys set revoked_at = now() where id = $1', [m.keyId]);
      merchants.evictAll();
    });
    expect(inFlight?.keyId).toBe(m.keyId);
    expect(await merchants.resolveKey(m.apiKey)).toBeNull();
  });
});

describe('merchant settings cache', () => {
  it('looks the merchant up once for 32 concurrent callers, at first use and when its entry expires', async () => {
    const m = await t.merchant();
    const merchants = t.app.services.merchants;
    await merchants.updateSettings(m.merchantId, { withdrawalFeePercent: '4' });
    const readAll = () => Promise.all(Array.from({ length: 32 }, () => merchants.settings(m.merchantId)));
    const { first, expired, cached } = await firstExpiredCached(readAll);
    for (const run of [first, expired]) {
      expect(run.result.every((s) => s.withdrawalFeePercent === '4')).toBe(true);
      expect(run.sql.filter((s) => s.includes('"merchants"'))).toHaveLength(1);
    }
    expect(cached.sql).toEqual([]);
  });

  it('keeps settings read before a change out of the cache when the change lands while the read is in flight', async () => {
    const m = await t.merchant();
    const merchants = t.app.services.merchants;
    // The first lookup reads the merchant's row, then waits until the change has landed.
    let markRead = () => {};
    let release = () => {};
    const read = new Promise<void>((resolve) => {
      markRead = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const getMerchant = merchants.getMerchant.bind(merchants);
    const spy = vi.spyOn(merchants, 'getMerchant').mockImplementationOnce(async (id) => {
      const row = await getMerchant(id);
      markRead();
      await released;
      return row;
    });
    try {
      const inFlight = merchants.settings(m.merchantId);
      await read;
      await merchants.updateSettings(m.merchantId, { withdrawalFeePercent: '3' });
      // A caller after the change does not share the lookup that read the row before it.
      expect((await merchants.settings(m.merchantId)).withdrawalFeePercent).toBe('3');
      release();
      expect((await inFlight).withdrawalFeePercent).toBe('6'); // it began before the change
      expect((await merchants.settings(m.merchantId)).withdrawalFeePercent).toBe('3');
    } finally {
      release();
      spy.mockRestore();
    }
  });
});
