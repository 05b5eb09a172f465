import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NetworkRegistry } from '../src/chains/registry.js';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import { type DepositCrediting, openDepositScanners } from '../src/modules/deposits/index.js';
import { jobData, scanJobData } from './job-data.js';
import { bullPrefix, closeBudgetMs, closeWithin } from './queues.js';
import type { JobSchedules } from './schedules.js';

// A BullMQ job scheduler per chain runs its scanner (src/modules/deposits/scanner.ts) every
// CHAIN_SCAN_INTERVAL_MS, and one more expires unpaid deposits. Any number of workers may run these: each pass
// takes its chain's advisory lock. The schedules are re-created if Redis loses them (jobs/schedules.ts), and
// `health` tells whether each scanner keeps up (src/modules/deposits/scanner-health.ts).

export const CHAIN_QUEUE = 'chain-scan';

export async function startScanning(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  crediting: DepositCrediting;
  connection: Redis;
  schedules: JobSchedules;
}) {
  const { config, log } = deps;
  const scanning = openDepositScanners({
    databaseUrl: config.databaseUrl,
    pool: deps.pool,
    log,
    registry: deps.registry,
    crediting: deps.crediting,
    maxRangesPerPass: config.chainScanMaxRanges,
    initialLookback: config.chainInitialLookbackBlocks,
    // A cursor cannot move between scheduled passes: a stall is only a stall after two intervals.
    stallMs: Math.max(config.chainScannerStallMs, 2 * config.chainScanIntervalMs),
  });
  const { scanners } = scanning;
  const prefix = bullPrefix(config.redisPrefix);
  const queue = new Queue(CHAIN_QUEUE, { connection: deps.connection, prefix });
  queue.on('error', () => undefined);
  const keep = { removeOnComplete: 100, removeOnFail: 100 };
  for (const chain of scanners.keys()) {
    await deps.schedules.add(queue, `scan:${chain}`, config.chainScanIntervalMs, {
      name: 'scan',
      data: { chain },
      opts: keep,
    });
  }
  await deps.schedules.add(queue, 'expire-deposits', config.depositExpiryIntervalMs, {
    name: 'expire',
    data: {},
    opts: keep,
  });
  const worker = new Worker(
    CHAIN_QUEUE,
    async (job) => {
      if (job.name === 'expire') return { expired: await scanning.expire() };
      const scanner = scanners.get(jobData(scanJobData, job).chain);
      return scanner ? scanner.pass() : { skipped: true };
    },
    {
      connection: deps.connection,
      prefix,
      concurrency: Math.max(2, scanners.size + 1),
      lockDuration: config.workerLockMs,
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'chain-scan worker error'));
  worker.on('failed', (job, err) =>
    log.warn({ job: job?.name, chain: job?.data?.chain, err: err.message }, 'chain-scan job failed'),
  );
  return {
    scanners,
    store: scanning.store,
    queue,
    health: scanning.health,
    async stop() {
      await closeWithin('scanning worker', worker, log, closeBudgetMs(config));
      await closeWithin('scanning queue', queue, log, closeBudgetMs(config));
      await scanning.close();
    },
  };
}
