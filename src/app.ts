import { Redis } from 'ioredis';
import { getSchema } from '../schema/index.js';
import { type Config, loadConfig } from './config.js';
import type { Services } from './context.js';
import { createPool, ensureDatabase, migrate, openOrm, pendingMigrations } from './db/database.js';
import { Authenticator } from './http/auth.js';
import { registerGraphql } from './http/graphql.js';
import { RateLimits } from './http/rate-limit.js';
import { createServer } from './http/server.js';
import { createLogger, type Logger } from './lib/logger.js';
import { IdempotencyService } from './modules/idempotency/service.js';
import { LedgerService } from './modules/ledger/service.js';
import { MerchantsService } from './modules/merchants/service.js';
import { TokenService } from './modules/merchants/tokens.js';
import { registerRestV1 } from './rest/v1/index.js';

export interface AppOptions {
  config?: Partial<Config>;
  logger?: Logger;
  /** Apply pending migrations at start-up (npm start does; tests migrate a template once). */
  migrate?: boolean;
}

export type App = Awaited<ReturnType<typeof createApp>>;

/** Composition root: everything the process needs, wired once, with one way to stop it. */
export async function createApp(opts: AppOptions = {}) {
  const config: Config = { ...loadConfig(), ...opts.config };
  const log = opts.logger ?? createLogger(config.logLevel);

  if (opts.migrate !== false) {
    if (await ensureDatabase(config.databaseUrl))
      log.info({ database: new URL(config.databaseUrl).pathname }, 'created database');
  }
  const orm = await openOrm(config.databaseUrl, Math.max(2, Math.floor(config.dbPoolSize / 4)), (message) =>
    log.debug({ orm: message }, 'mikro-orm'),
  );
  if (opts.migrate !== false) {
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'applied migrations');
  }
  const pool = createPool(config.databaseUrl, config.dbPoolSize);

  // Commands fail fast while Redis is away (enableOfflineQueue: false), so the edge can fall back.
  const redis = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  const redisSub = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  redisSub.on('error', (err) => log.warn({ err: err.message }, 'redis subscriber error'));
  await Promise.all([redis.connect(), redisSub.connect()]);

  const idempotency = new IdempotencyService(
    pool,
    config.idempotencyLockTimeoutSeconds,
    config.idempotencyTtlHours,
  );
  const merchants = new MerchantsService(orm, config.masterKey, config.defaultRateLimitPerSecond);
  const ledger = new LedgerService(pool, idempotency, config.maxAmountMinor, log, {
    maxBatch: config.ledgerMaxBatch,
    maxInFlight: config.ledgerMaxInFlight,
  });
  const tokens = new TokenService(config.masterKey);
  const services: Services = { config, log, merchants, ledger, idempotency, tokens };

  // A key revoked anywhere (API, CLI, another instance) is dropped from every instance's cache.
  const keysChannel = `${config.redisPrefix}:keys:revoked`;
  merchants.onKeyRevoked = (hashHex) => {
    redis
      .publish(keysChannel, hashHex)
      .catch((err) => log.warn({ err: err.message }, 'could not publish key revocation'));
  };
  await redisSub.subscribe(keysChannel);
  redisSub.on('message', (channel, hashHex) => {
    if (channel === keysChannel) merchants.evict(hashHex);
  });

  const schema = getSchema();
  const server = createServer(services);
  const auth = new Authenticator(services, new RateLimits(redis, config.redisPrefix));
  registerGraphql(server, schema, services, auth);
  await registerRestV1(server, schema, services, auth);

  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const checks = { postgres: false, redis: false, migrations: false };
    try {
      await pool.query('select 1');
      checks.postgres = true;
      checks.migrations = (await pendingMigrations(orm)).length === 0;
    } catch {}
    try {
      checks.redis = (await redis.ping()) === 'PONG';
    } catch {}
    const ready = checks.postgres && checks.redis && checks.migrations;
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });

  let stopped = false;
  return {
    config,
    log,
    services,
    server,
    schema,
    orm,
    pool,
    redis,
    async listen(port = config.port, host = config.host): Promise<string> {
      return server.listen({ port, host });
    },
    /** Stops accepting, lets in-flight requests and ledger batches finish, then closes connections. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await server.close();
      await ledger.drain();
      await pool.end();
      await orm.close(true);
      redisSub.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
