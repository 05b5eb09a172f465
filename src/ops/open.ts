import type { Queue } from 'bullmq';
import { closeBudgetMs, type Queues } from '../../jobs/queues.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import type { LedgerService } from '../modules/ledger/index.js';
import { registerHotWalletMetrics } from './hot-wallet-metrics.js';
import { OpsMetrics } from './metrics.js';
import { registerMoneyMetrics } from './money-metrics.js';
import { openOpsQueues } from './queues.js';
import type { OpsDeps } from './status.js';
import { registerTreasuryMetrics } from './treasury-metrics.js';

// What ops look at, built by the composition root before the services: the queues (with handles on the ones
// other roles own), this process's Prometheus metrics, and the DB gauges. The HTTP layer serves them
// (src/http/ops.ts: /metrics and the Bull Board); the GraphQL `ops` field reads them (`opsStatus`).

export interface Ops extends OpsDeps {
  metrics: OpsMetrics;
  refresh(): Promise<void>;
  /** Called with each queue that appears later (a hot wallet a worker registered). */
  onQueueAdded(listener: (queue: Queue) => void): void;
  close(): Promise<void>;
}

/** How often new payout queues are looked for. */
const REFRESH_MS = 15_000;

export async function openOps(deps: {
  config: Config;
  log: Logger;
  pool: Pool;
  queues: Queues;
  ledger: LedgerService;
}): Promise<Ops> {
  const { config, pool } = deps;
  const queues = openOpsQueues(deps.queues, config.redisPrefix, Object.keys(config.treasury.policies));
  await queues.refresh(pool).catch(() => undefined);
  // Payout queues appear when a worker registers a hot wallet: the dashboard and the metrics pick them up.
  const listeners: ((queue: Queue) => void)[] = [];
  const refresh = async () => {
    for (const q of await queues.refresh(pool)) for (const l of listeners) l(q);
  };
  const timer = setInterval(() => refresh().catch(() => undefined), REFRESH_MS);
  timer.unref();
  const metrics = await OpsMetrics.create({ pool, queues: queues.all, log: deps.log });
  deps.ledger.observeBatches((b) => metrics.observeLedgerBatch(b));
  registerHotWalletMetrics(metrics, pool);
  registerTreasuryMetrics(metrics, pool);
  registerMoneyMetrics(metrics, pool);
  return {
    pool,
    queues: queues.all,
    metrics,
    refresh,
    onQueueAdded: (l) => listeners.push(l),
    async close() {
      clearInterval(timer);
      await queues.close(deps.log, closeBudgetMs(config));
    },
  };
}
