import { Redis } from 'ioredis';
import type { NetworkRegistry } from '../src/chains/registry.js';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import { FailureRun } from '../src/lib/failure-run.js';
import type { Logger } from '../src/lib/logger.js';
import { redisConnectionName } from '../src/lib/redis-name.js';
import type { DepositCrediting } from '../src/modules/deposits/index.js';
import type { PubSub } from '../src/modules/events/index.js';
import { OutboxRelay } from '../src/modules/events/index.js';
import type { IdempotencyService, PurgeResult } from '../src/modules/idempotency/index.js';
import type { LedgerService } from '../src/modules/ledger/index.js';
import type { WebhooksService } from '../src/modules/webhooks/index.js';
import { recordDeliveries } from '../src/modules/webhooks/index.js';
import { startMaintenance } from './maintenance.js';
import { startPayouts } from './payouts.js';
import type { Queues } from './queues.js';
import { startScanning } from './scanning.js';
import { JobSchedules } from './schedules.js';
import { startWebhookDelivery } from './webhooks.js';

/** How often the worker checks its job schedules and its scanners' health. */
const WATCH_MS = 5_000;

/** Starts the background processors of `--role worker|all`; returns how to stop them. */
export async function startWorkers(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  pubsub: PubSub;
  /** When Redis has the live messages published so far (the relay waits for it before each commit). */
  liveFlushed?: () => Promise<void>;
  queues: Queues;
  webhooks: WebhooksService;
  registry: NetworkRegistry;
  crediting: DepositCrediting;
  ledger: LedgerService;
  idempotency: IdempotencyService;
  /** Told of each finished idempotency purge (metrics). */
  onPurged?: (r: PurgeResult) => void;
}) {
  const { config, pool, log } = deps;
  // BullMQ workers block on Redis: their own connection, retried forever (maxRetriesPerRequest: null).
  const connection = new Redis(config.redisUrl, {
    connectionName: redisConnectionName(config.redisPrefix),
    maxRetriesPerRequest: null,
  });
  const redisFailures = new FailureRun(log, {
    failing: 'worker redis connection failed; reconnecting (logged again when it is back)',
    recovered: 'worker redis connection is back',
    countField: 'failedAttempts',
  });
  connection.on('error', (err) => redisFailures.failed(err));
  connection.on('ready', () => redisFailures.worked());
  const relay = new OutboxRelay({
    pool,
    databaseUrl: config.databaseUrl,
    pubsub: deps.pubsub,
    ...(deps.liveFlushed ? { liveFlushed: deps.liveFlushed } : {}),
    fanOut: recordDeliveries,
    log,
    batchSize: config.outboxBatchSize,
    pollMs: config.outboxPollMs,
    coalesceMs: config.outboxCoalesceMs,
  });
  await relay.start();
  const webhooks = await startWebhookDelivery({
    config,
    pool,
    log,
    webhooks: deps.webhooks,
    queue: deps.queues.webhooks,
    connection,
  });
  const schedules = new JobSchedules(log);
  const scanning = await startScanning({
    config,
    pool,
    log,
    registry: deps.registry,
    crediting: deps.crediting,
    connection,
    schedules,
  });
  const payouts = await startPayouts({
    config,
    pool,
    log,
    registry: deps.registry,
    ledger: deps.ledger,
    connection,
    schedules,
  });
  const maintenance = await startMaintenance({
    config,
    log,
    idempotency: deps.idempotency,
    connection,
    schedules,
    ...(deps.onPurged ? { onPurged: deps.onPurged } : {}),
  });
  // Lost schedules come back and stalled scanners show, within a few seconds (or a quarter of the stall time).
  const unwatch = schedules.watch(connection, Math.min(WATCH_MS, config.chainScannerStallMs / 4), () =>
    scanning.health.check(),
  );
  return {
    relay,
    webhooks,
    scanning,
    payouts,
    maintenance,
    async stop() {
      unwatch();
      // Independent consumers, closed together: each waits for its active jobs (or gives up: closeWithin).
      await Promise.all([maintenance.stop(), payouts.stop(), scanning.stop()]);
      await relay.stop();
      await webhooks.stop();
      connection.disconnect();
    },
  };
}
