import { afterAll, beforeAll } from 'vitest';
import { type App, createApp, type Role } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from './db.js';
import { startPrivateRedis } from './redis-server.js';

/**
 * API instances of one deployment for the current test file: one database, one private Redis (which a test
 * may stop and start), as many `api` processes as asked for. Redis is started again before they stop.
 */
export function useInstances() {
  const ctx = {
    dbName: '',
    redis: undefined as unknown as Awaited<ReturnType<typeof startPrivateRedis>>,
    apps: [] as App[],
    /** A new process (`api` unless told) on the shared database and Redis, under `prefix`, on a free port. */
    async instance(prefix: string, role: Role = 'api'): Promise<{ app: App; wsUrl: string }> {
      const app = await createApp({
        migrate: false,
        role,
        config: {
          databaseUrl: databaseUrl(ctx.dbName),
          redisUrl: ctx.redis.url,
          redisPrefix: prefix,
          logLevel: 'silent',
          shutdownTimeoutMs: 2000,
          tron: { ...loadConfig().tron, devnet: 'off' },
          evm: { ...loadConfig().evm, devnet: 'off' },
        },
      });
      ctx.apps.push(app);
      return { app, wsUrl: `${(await app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql` };
    },
  };
  beforeAll(async () => {
    ctx.dbName = await createTestDatabase();
    ctx.redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await ctx.redis?.start();
    for (const app of ctx.apps) await app.stop();
    await ctx.redis?.stop();
    if (ctx.dbName) await dropTestDatabase(ctx.dbName);
  });
  return ctx;
}
