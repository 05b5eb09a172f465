import { Redis } from 'ioredis';
import { type Core, openCore } from '../compose.js';
import { loadConfig } from '../config.js';
import { resolveServers } from '../dev/embedded.js';
import { revocationChannels } from '../http/revocation-bus.js';
import { createLogger } from '../lib/logger.js';

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
  let core: Core;
  try {
    core = await openCore({
      config,
      log,
      migrate: true,
      poolSize: 4,
      ledger: { maxBatch: 1, maxInFlight: 1 },
      asyncClaims: false,
    });
  } catch (err) {
    await servers.close();
    throw err;
  }
  const channels = revocationChannels(config.redisPrefix);
  const revoked: [string, string][] = [];
  core.notices.onKey((hash, keyId) => revoked.push([channels.keys, JSON.stringify({ hash, keyId })]));
  core.notices.onToken((jti, expiresAtMs) =>
    revoked.push([channels.tokens, JSON.stringify({ jti, expiresAtMs })]),
  );
  const { pool, merchants, ledger, tokens, webhooks } = core;
  return {
    config,
    log,
    pool,
    merchants,
    ledger,
    tokens,
    webhooks,
    crediting: core.crediting,
    treasury: core.treasury,
    treasuryControls: core.treasuryControls,
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
      await core.close();
      await servers.close();
    },
  };
}

export type CliContext = Awaited<ReturnType<typeof openCliContext>>;
