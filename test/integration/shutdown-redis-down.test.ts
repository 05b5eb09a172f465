import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

// A process told to stop while Redis is down (or only just coming back) stops: BullMQ's close waits for its
// Redis connections to end, which a connection still reconnecting never does (taskforcesh/bullmq#4656), so the
// stop hung in the first worker's close until something killed the process. Each worker and queue now gets
// an eighth of SHUTDOWN_TIMEOUT_MS to close, and the stop goes on without the ones that did not.

let dbName = '';
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;

beforeAll(async () => {
  dbName = await createTestDatabase();
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.stop();
  if (dbName) await dropTestDatabase(dbName);
});

describe('stopping while Redis is down', () => {
  it('finishes the stop of an API-and-worker process', { timeout: 30_000 }, async () => {
    const app = await createApp({
      migrate: false,
      role: 'all',
      config: {
        databaseUrl: databaseUrl(dbName),
        redisUrl: redis.url,
        redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        shutdownTimeoutMs: 2000,
      },
    });
    await redis.stop();
    // Before: this never returned (the test's timeout ended it).
    await app.stop();
    // It got to its end: the database pools, closed last but one, are closed.
    expect(app.pool.ended).toBe(true);
    await redis.start();
  });
});
