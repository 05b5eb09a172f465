import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_QUEUE, PURGE_IDEMPOTENCY } from '../../jobs/maintenance.js';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { requestHash } from '../../src/modules/idempotency/index.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/receiver.js';

// The worker schedules the purge of expired idempotency records (jobs/maintenance.ts): a worker process
// registers the job scheduler at start, its jobs delete what expired, and each run says how many at info level
// and in /metrics. Its interval is a setting: a fraction of a second here instead of an hour.

const INTERVAL_MS = 250;
const lines: { level: number; msg: string; purged?: number; batches?: number }[] = [];
const sink = {
  write(chunk: string) {
    for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line));
  },
};

let app: App;
let dbName = '';

beforeAll(async () => {
  dbName = await createTestDatabase();
  app = await createApp({
    migrate: false,
    role: 'worker',
    logger: createLogger('info', sink),
    config: {
      databaseUrl: databaseUrl(dbName),
      redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
      logLevel: 'info',
      dbPoolSize: 4,
      tron: { ...loadConfig().tron, devnet: 'off' },
      evm: { ...loadConfig().evm, devnet: 'off' },
      idempotencyPurgeIntervalMs: INTERVAL_MS,
    },
  });
});
afterAll(async () => {
  await app?.stop();
  if (dbName) await dropTestDatabase(dbName);
});

const purgeLines = () => lines.filter((l) => l.msg === 'purged expired idempotency records');
const loggedPurged = () => purgeLines().reduce((n, l) => n + (l.purged ?? 0), 0);

async function purgedMetric(): Promise<number | undefined> {
  const admin = (await app.services.tokens.issueAdmin(600)).token;
  const r = await app.server.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${admin}` },
  });
  const m = /^novapay_idempotency_purged_total (\d+)$/m.exec(r.body);
  return m ? Number(m[1]) : undefined;
}

describe('the scheduled purge of expired idempotency records', () => {
  it('is registered by the worker at start, at the configured interval', async () => {
    const queue = app.workers!.maintenance.queue;
    expect(queue.name).toBe(MAINTENANCE_QUEUE);
    const scheduler = await queue.getJobScheduler(PURGE_IDEMPOTENCY);
    expect(scheduler).toMatchObject({ name: PURGE_IDEMPOTENCY, every: INTERVAL_MS });
    expect(loadConfig().idempotencyPurgeIntervalMs).toBe(3_600_000); // hourly unless configured
  });

  it('deletes expired records by itself, keeps the others, and logs and counts what it deleted', {
    timeout: 30_000,
  }, async () => {
    const merchant = await app.services.merchants.createMerchant('Purge Shop');
    const hash = requestHash('transfer', {});
    const insert = (key: string, state: string, ageHours: number) =>
      app.pool.query(
        `insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state, result, created_at)
         values ($1, 'test', $2, 'transfer', $3, $4, case when $4 = 'completed' then '{}'::jsonb end,
                 now() - make_interval(hours => $5))`,
        [merchant.id, key, hash, state, ageHours],
      );
    for (let i = 0; i < 25; i++)
      await insert(`expired-${i}`, 'completed', app.config.idempotencyTtlHours + 1);
    await insert('fresh', 'completed', 1);
    await insert('running', 'in_progress', app.config.idempotencyTtlHours * 2);
    const left = async () =>
      (
        await app.pool.query<{ key: string }>('select key from idempotency_keys where merchant_id = $1', [
          merchant.id,
        ])
      ).rows
        .map((r) => r.key)
        .sort();

    await eventually(async () => (await left()).length === 2, 20_000);
    expect(await left()).toEqual(['fresh', 'running']);
    await eventually(() => loggedPurged() === 25, 10_000);
    expect(purgeLines().every((l) => l.level === 30)).toBe(true);
    expect(await purgedMetric()).toBe(25);
  });
});
