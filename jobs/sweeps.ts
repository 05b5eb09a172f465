import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/lib/logger.js';
import type { Sweepers, SweepPassResult } from '../src/modules/treasury/index.js';
import { jobData, sweepJobData } from './job-data.js';
import { bullPrefix, closeBudgetMs, closeWithin, startPassId, sweepQueueName } from './queues.js';
import type { JobSchedules } from './schedules.js';

// One BullMQ queue per swept network (`sweeps-<network>-<mode>`), concurrency 1, ticked by a job scheduler every
// SWEEP_INTERVAL_MS and once at start, so a signer that replaces a killed one resumes at once; a second
// scheduler compares custody on chain with the books every SWEEP_RECONCILE_INTERVAL_MS. A pass holds its
// network's PostgreSQL advisory lock, so passes never overlap across processes; the database holds every step.

export interface SweepJobs {
  /** Runs one pass of every swept network now (tests, CLI). */
  passAll(): Promise<SweepPassResult[]>;
  stop(): Promise<void>;
}

export async function startSweepJobs(deps: {
  config: Config;
  log: Logger;
  sweepers: Sweepers;
  connection: Redis;
  schedules: JobSchedules;
}): Promise<SweepJobs> {
  const { config, log } = deps;
  const prefix = bullPrefix(config.redisPrefix);
  const queues: Queue[] = [];
  const workers: Worker[] = [];
  for (const [chain, sweeper] of deps.sweepers.byChain) {
    const name = sweepQueueName(chain);
    const queue = new Queue(name, { connection: deps.connection, prefix });
    queue.on('error', () => undefined);
    const keep = { removeOnComplete: 100, removeOnFail: 500 };
    await deps.schedules.add(queue, 'sweep', config.treasury.sweepIntervalMs, {
      name: 'sweep',
      data: {},
      opts: keep,
    });
    await deps.schedules.add(queue, 'reconcile', config.treasury.reconcileIntervalMs, {
      name: 'reconcile',
      data: {},
      opts: keep,
    });
    const worker = new Worker(
      name,
      async (job) => {
        if (job.name === 'reconcile') {
          const rec = await sweeper.reconcile();
          return rec ? { status: rec.status, alert: rec.alert } : { skipped: true };
        }
        const { address } = jobData(sweepJobData, job);
        const r = await sweeper.pass({ address });
        // Ops' `sweepAddress` must not be lost to another process's pass: its job is retried (attempts).
        if (r.skipped && address) throw new Error('another sweep pass holds this network; retrying');
        if (r.planned || r.toppedUp || r.signed || r.completed || r.failed || r.cold)
          log.info({ chain, ...r }, 'sweep pass');
        else log.debug({ chain, ...r }, 'sweep pass');
        return r;
      },
      { connection: deps.connection, prefix, concurrency: 1, lockDuration: config.workerLockMs },
    );
    worker.on('error', (err) => log.warn({ err: err.message, queue: name }, 'sweep worker error'));
    worker.on('failed', (_job, err) => log.warn({ queue: name, err: err.message }, 'sweep pass failed'));
    queues.push(queue);
    workers.push(worker);
    await queue.add('sweep', {}, { jobId: startPassId('sweep'), removeOnComplete: true, removeOnFail: 100 });
  }
  return {
    passAll: () => Promise.all([...deps.sweepers.byChain.values()].map((s) => s.pass())),
    async stop() {
      await Promise.all(
        workers.map((w) => closeWithin(`sweep worker ${w.name}`, w, log, closeBudgetMs(config))),
      );
      await Promise.all(
        queues.map((q) => closeWithin(`sweep queue ${q.name}`, q, log, closeBudgetMs(config))),
      );
    },
  };
}
