import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Pool } from '../../src/db/database.js';
import { IdempotencyService, requestHash } from '../../src/modules/idempotency/index.js';
import type { TestContext, TestMerchant } from './app.js';
import { databaseUrl } from './db.js';

// Idempotency records written and read straight in the database, for the purge's tests.

export type RecordState = 'completed' | 'in_progress';

export interface InsertOptions {
  state?: RecordState;
  /** When the record was last locked, seconds ago; its age (`ageHours`) when not given. */
  lockedSecondsAgo?: number;
  /** Each record gets the request hash of `item(m, key)`, so a claim of that item may take it over. */
  ownHash?: boolean;
}

/** A claim item of `m` for `key` (its request is `transfer {key}`). */
export const item = (m: TestMerchant, key: string) => ({
  scope: { merchantId: m.merchantId, mode: m.mode, key },
  operation: 'transfer',
  hash: requestHash('transfer', { key }),
});

/** Records of `m` for `keys`, created `ageHours` ago (a `completed` one with a stored result). */
export async function insertRecords(
  pool: Pool,
  m: TestMerchant,
  keys: string[],
  ageHours: number,
  opts: InsertOptions = {},
): Promise<void> {
  const state = opts.state ?? 'completed';
  const hashes = keys.map((k) => (opts.ownHash ? item(m, k).hash : requestHash('transfer', { old: true })));
  await pool.query(
    `insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state, result, locked_at, created_at, completed_at)
     select $1, $2, k, 'transfer', h, $3, case when $3 = 'completed' then '{"old":true}'::jsonb end,
            now() - make_interval(secs => $6), now() - make_interval(hours => $4),
            case when $3 = 'completed' then now() - make_interval(hours => $4) end
     from unnest($5::text[], $7::bytea[]) as x(k, h)`,
    [m.merchantId, m.mode, state, ageHours, keys, opts.lockedSecondsAgo ?? ageHours * 3600, hashes],
  );
}

/** `m`'s records by key. */
export async function records(
  pool: Pool,
  m: TestMerchant,
): Promise<Map<string, { state: string; result: unknown }>> {
  const r = await pool.query<{ key: string; state: string; result: unknown }>(
    'select key, state, result from idempotency_keys where merchant_id = $1 and mode = $2',
    [m.merchantId, m.mode],
  );
  return new Map(r.rows.map((x) => [x.key, { state: x.state, result: x.result }]));
}

export const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

export const TTL_HOURS = 48;
export const LOCK_TIMEOUT_SECONDS = 60;

export interface PurgeRig {
  /** Connections for claims and for reading and writing records. */
  pool: Pool;
  /** Purges on connections that give up on any lock after 3 s: a purge that waits for a claim's row fails. */
  purger: IdempotencyService;
  claimer: IdempotencyService;
}

/** The purge tests' pools and services on `t`'s database (whose app must use the default TTL and timeout). */
export function usePurgeRig(t: TestContext, poolSize: number): PurgeRig {
  const rig = {} as PurgeRig;
  let purgePool: Pool | undefined;
  beforeAll(() => {
    expect(t.app.config.idempotencyTtlHours).toBe(TTL_HOURS);
    expect(t.app.config.idempotencyLockTimeoutSeconds).toBe(LOCK_TIMEOUT_SECONDS);
    rig.pool = new pg.Pool({ connectionString: databaseUrl(t.dbName), max: poolSize });
    purgePool = new pg.Pool({
      connectionString: databaseUrl(t.dbName),
      max: 4,
      options: '-c lock_timeout=3000',
    });
    rig.purger = new IdempotencyService(purgePool, LOCK_TIMEOUT_SECONDS, TTL_HOURS);
    rig.claimer = new IdempotencyService(rig.pool, LOCK_TIMEOUT_SECONDS, TTL_HOURS);
    // An idle client whose backend ends is replaced; unheard, its error is an uncaught exception in the worker.
    for (const p of [rig.pool, purgePool]) p.on('error', () => undefined);
  });
  afterAll(async () => {
    await rig.pool?.end();
    await purgePool?.end();
  });
  return rig;
}
