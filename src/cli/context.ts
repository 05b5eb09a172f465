import { Redis } from 'ioredis';
import { openQueues, type Queues } from '../../jobs/queues.js';
import { loadConfig } from '../config.js';
import { createPool, ensureDatabase, migrate, openOrm } from '../db/database.js';
import { resolveServers } from '../dev/embedded.js';
import { createLogger } from '../lib/logger.js';
import { IdempotencyService } from '../modules/idempotency/service.js';
import { LedgerService } from '../modules/ledger/service.js';
import { MerchantsService } from '../modules/merchants/service.js';
import { TokenService } from '../modules/merchants/tokens.js';
import { WebhooksService } from '../modules/webhooks/service.js';

/** What CLI commands need: the database (created and migrated if new) and the services, no HTTP server. */
export async function openCliContext() {
  const loaded = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr as never);
  // The same servers as `npm start`: the configured ones, or the embedded ones of a running server on this
  // DATA_DIR (or embedded ones started for this command when none runs).
  const servers = await resolveServers(loaded, log);
  const config = {
    ...loaded,
    databaseUrl: servers.databaseUrl,
    redisUrl: servers.redisUrl,
    embeddedDatabase: servers.embeddedDatabase,
  };
  try {
    await ensureDatabase(config.databaseUrl);
  } catch (err) {
    await servers.close();
    throw err;
  }
  const orm = await openOrm(config.databaseUrl, 2, (m) => log.debug({ orm: m }, 'mikro-orm'));
  await migrate(orm);
  const pool = createPool(config.databaseUrl, 4, { namedStatements: !config.embeddedDatabase });
  const idempotency = new IdempotencyService(
    pool,
    config.idempotencyLockTimeoutSeconds,
    config.idempotencyTtlHours,
  );
  const merchants = new MerchantsService(orm, config.masterKey, config.defaultRateLimitPerSecond);
  const ledger = new LedgerService(pool, idempotency, config.maxAmountMinor, log, {
    maxBatch: 1,
    maxInFlight: 1,
  });
  const tokens = new TokenService(config.masterKey);
  const webhooks = new WebhooksService(pool, config.masterKey, merchants, config.webhookAllowPrivateUrls);
  let queueRedis: Redis | null = null;
  let queues: Queues | null = null;
  webhooks.enqueue = async (jobs) => {
    queueRedis ??= new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
    queues ??= openQueues(queueRedis, config.redisPrefix, config.webhookRetryScheduleMs);
    await queues.webhooks.addBulk(
      jobs.map((j) => ({
        name: 'deliver',
        data: j.data,
        opts: { jobId: j.jobId, ...(j.priority ? { priority: j.priority } : {}) },
      })),
    );
  };
  const revoked: string[] = [];
  merchants.onKeyRevoked = (hash, keyId) => revoked.push(JSON.stringify({ hash, keyId }));
  return {
    config,
    log,
    pool,
    merchants,
    ledger,
    tokens,
    webhooks,
    async close() {
      await queues?.close();
      queueRedis?.disconnect();
      if (revoked.length > 0) {
        // Tell running API instances to drop the revoked keys from their caches at once.
        const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
        redis.on('error', () => undefined);
        try {
          for (const h of revoked) await redis.publish(`${config.redisPrefix}:keys:revoked`, h);
        } catch {
          log.warn('could not reach Redis; running API instances drop revoked keys within 5 s anyway');
        } finally {
          redis.disconnect();
        }
      }
      await pool.end();
      await orm.close(true);
      await servers.close();
    },
  };
}

export type CliContext = Awaited<ReturnType<typeof openCliContext>>;
