import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createPool, ensureDatabase, migrate, openOrm } from '../db/database.js';
import { resolveServers } from '../dev/embedded.js';
import { revocationChannels } from '../http/revocation-bus.js';
import { createLogger } from '../lib/logger.js';
import { IdempotencyService } from '../modules/idempotency/service.js';
import { LedgerService } from '../modules/ledger/service.js';
import { TokenRevocations } from '../modules/merchants/revocations.js';
import { MerchantsService } from '../modules/merchants/service.js';
import { TokenService } from '../modules/merchants/tokens.js';
import { WebhooksService } from '../modules/webhooks/service.js';
import { WebhookTargets } from '../modules/webhooks/ssrf.js';

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
  };
  try {
    await ensureDatabase(config.databaseUrl);
  } catch (err) {
    await servers.close();
    throw err;
  }
  const orm = await openOrm(config.databaseUrl, 2, (m) => log.debug({ orm: m }, 'mikro-orm'));
  await migrate(orm);
  const pool = createPool(config.databaseUrl, 4);
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
  const revocations = new TokenRevocations(pool);
  const tokens = new TokenService(config.masterKey, revocations);
  const webhooks = new WebhooksService(pool, config.masterKey, merchants, new WebhookTargets(config));
  const channels = revocationChannels(config.redisPrefix);
  const revoked: [string, string][] = [];
  merchants.onKeyRevoked = (hash, keyId) => revoked.push([channels.keys, JSON.stringify({ hash, keyId })]);
  revocations.onRevoked = (jti, expiresAtMs) =>
    revoked.push([channels.tokens, JSON.stringify({ jti, expiresAtMs })]);
  return {
    config,
    log,
    pool,
    merchants,
    ledger,
    tokens,
    webhooks,
    async close() {
      if (revoked.length > 0) {
        // Tell running API instances at once: they drop revoked keys from their caches, add revoked tokens to
        // their lists, and close the sockets opened with either.
        const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
        redis.on('error', () => undefined);
        try {
          for (const [channel, message] of revoked) await redis.publish(channel, message);
        } catch {
          log.warn('could not reach Redis; running API instances apply the revocation within 5 s anyway');
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
