import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { eventually } from '../helpers/receiver.js';

// The API-key cache (src/modules/merchants/key-cache.ts): one lookup per key when its entry expires under
// concurrent requests, and an evict (revocation) that stays exact for a lookup in flight.
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
    const first = await statements(resolveAll);
    expect(first.result.every((k) => k?.keyId === m.keyId)).toBe(true);
    expect(first.sql.filter((s) => s.includes('"api_keys"'))).toHaveLength(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 6_000); // past KEY_CACHE_TTL_MS
      const expired = await statements(resolveAll);
      expect(expired.result.every((k) => k?.keyId === m.keyId)).toBe(true);
      expect(expired.sql.filter((s) => s.includes('"api_keys"'))).toHaveLength(1);
      expect(expired.sql.filter((s) => s.includes('"merchants"'))).toHaveLength(1);
      const cached = await statements(resolveAll);
      expect(cached.sql).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
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
