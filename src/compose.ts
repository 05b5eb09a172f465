import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import { createPool, ensureDatabase, migrate, openOrm, type Pool } from './db/database.js';
import type { Logger } from './lib/logger.js';
import { DepositCrediting } from './modules/deposits/index.js';
import { IdempotencyService } from './modules/idempotency/index.js';
import { LedgerService } from './modules/ledger/index.js';
import {
  MerchantsService,
  RevocationNotices,
  TokenRevocations,
  TokenService,
} from './modules/merchants/index.js';
import { type EnqueueSweep, TreasuryControls, TreasuryService } from './modules/treasury/index.js';
import { WebhooksService, WebhookTargets } from './modules/webhooks/index.js';

// The composition root's first half, shared by every process: the server's roles (src/app.ts builds the rest
// on it: chains, live events, queues, HTTP, workers) and the CLI (src/cli/context.ts). Each service is built
// once, with what it tells others (revocations) given at construction, never patched in afterwards.

export interface CoreOptions {
  config: Config;
  log: Logger;
  /** Create the database if missing and apply pending migrations (npm start and the CLI do; tests migrate once). */
  migrate: boolean;
  /** Connections of the main pool. */
  poolSize: number;
  /** The ledger's batching (the CLI posts one at a time). */
  ledger: { maxBatch: number; maxInFlight: number };
  /** Idempotency claims on a pool of their own that commits without waiting for the WAL flush (the API). */
  asyncClaims: boolean;
}

export interface Core {
  config: Config;
  log: Logger;
  orm: MikroORM;
  pool: Pool;
  idempotency: IdempotencyService;
  merchants: MerchantsService;
  ledger: LedgerService;
  revocations: TokenRevocations;
  tokens: TokenService;
  webhooks: WebhooksService;
  /** Revocations announced by the services above; listeners are added by the HTTP layer or the CLI. */
  notices: RevocationNotices;
  /** Confirmed deposit payments into the ledger (the scanners, and the CLI's rescan). */
  crediting: DepositCrediting;
  /** The house books' funding and reports (treasury CLI). */
  treasury: TreasuryService;
  /** Ops' controls of sweeping, queueing passes through `enqueue` (BullMQ in the server and the CLI). */
  treasuryControls(enqueue: EnqueueSweep): TreasuryControls;
  /** Ends the pools and the ORM (after the ledger drained). */
  close(): Promise<void>;
}

export async function openCore(o: CoreOptions): Promise<Core> {
  const { config, log } = o;
  if (o.migrate && (await ensureDatabase(config.databaseUrl)))
    log.info({ database: new URL(config.databaseUrl).pathname }, 'created database');
  const orm = await openOrm(
    config.databaseUrl,
    Math.max(2, Math.floor(o.poolSize / 4)),
    (message) => log.debug({ orm: message }, 'mikro-orm'),
    {
      // A pooled connection that ended is replaced by the pool, as the other pools' are (debug, not stdout).
      warn: (message) => log.debug({ knex: message }, 'mikro-orm connection pool'),
      error: (message) => log.warn({ knex: message }, 'mikro-orm connection pool error'),
    },
  );
  if (o.migrate) {
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'applied migrations');
  }
  const pool = createPool(config.databaseUrl, o.poolSize, { pipeline: true });
  // Idempotency claims commit without waiting for the WAL flush: the request's own commit makes them durable.
  const claimsPool = o.asyncClaims
    ? createPool(config.databaseUrl, Math.max(2, Math.ceil(o.poolSize / 4)), { asyncCommit: true })
    : null;
  const idempotency = new IdempotencyService(
    pool,
    config.idempotencyLockTimeoutSeconds,
    config.idempotencyTtlHours,
    claimsPool ?? pool,
  );
  const notices = new RevocationNotices();
  const revocations = new TokenRevocations(pool, notices);
  const merchants = new MerchantsService(
    orm,
    config.masterKey,
    config.defaultRateLimitPerSecond,
    notices,
    revocations,
  );
  const ledger = new LedgerService(pool, idempotency, config.maxAmountMinor, log, o.ledger);
  return {
    config,
    log,
    orm,
    pool,
    idempotency,
    merchants,
    ledger,
    revocations,
    tokens: new TokenService(config.masterKey, revocations),
    webhooks: new WebhooksService(
      pool,
      config.masterKey,
      merchants,
      new WebhookTargets(config),
      config.webhookMaxEndpoints,
    ),
    notices,
    crediting: new DepositCrediting(ledger, merchants, log),
    treasury: new TreasuryService(ledger),
    treasuryControls: (enqueue) =>
      new TreasuryControls(pool, Object.keys(config.treasury.policies), enqueue, log),
    async close() {
      await pool.end();
      await claimsPool?.end();
      await orm.close(true);
    },
  };
}
