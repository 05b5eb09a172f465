import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/lib/logger.js';
import type { IdempotencyService, PurgeResult } from '../src/modules/idempotency/index.js';
import { bullPrefix, closeBudgetMs, closeWithin } from './queues.js';
import type { JobSchedules } from './schedules.js';

// Periodic housekeeping of the database: a BullMQ job scheduler on the `maintenance` queue deletes expired
// idempotency records every IDEMPOTENCY_PURGE_INTERVAL_MS (IdempotencyService.purgeExpired: small batches
// that skip any row a claim holds). A scheduler makes one job per interval for the whole deployment, whichever
// worker takes it; two purges at once (a worker and an operator's run) are harmless all the same. The
// schedule is re-created if Redis loses it (jobs/schedules.ts).

export const MAINTENANCE_QUEUE = 'maintenance';
export const PURGE_IDEMPOTENCY = 'purge-idempotency';

export async function startMaintenance(deps: {
  config: Config;
  log: Logger;
  idempotency: IdempotencyService;
  connection: Redis;
  schedules: JobSchedules;
  /** Told of each finished purge (metrics); given here so that the first run, at once, is counted too. */
  onPurged?: (r: PurgeResult) => void;
}) {
  const { config, log } = deps;
  const prefix = bullPrefix(config.redisPrefix);
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection, prefix });
  queue.on('error', () => undefined);
  await deps.schedules.add(queue, PURGE_IDEMPOTENCY, config.idempotencyPurgeIntervalMs, {
    name: PURGE_IDEMPOTENCY,
    data: {},
    opts: { removeOnComplete: 100, removeOnFail: 100 },
  });
  let stopping = false;
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== PURGE_IDEMPOTENCY) return { skipped: true };
      // A long backlog (the first run on a big table) stops between batches when the worker shuts down.
      const r = await deps.idempotency.purgeExpiredBatches({ shouldStop: () => stopping });
      log.info({ purged: r.purged, batches: r.batches }, 'purged expired idempotency records');
      deps.onPurged?.(r);
      return r;
    },
    { connection: deps.connection, prefix, concurrency: 1, lockDuration: config.workerLockMs },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'maintenance worker error'));
  worker.on('failed', (job, err) => log.warn({ job: job?.name, err: err.message }, 'maintenance job failed'));
  return {
    queue,
    async stop() {
      stopping = true;
      await closeWithin('maintenance worker', worker, log, closeBudgetMs(config));
      await closeWithin('maintenance queue', queue, log, closeBudgetMs(config));
    },
  };
}
