import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HotWallet } from '../src/chains/payout/types.js';
import type { NetworkRegistry } from '../src/chains/registry.js';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import type { LedgerService } from '../src/modules/ledger/index.js';
import {
  listenForApprovals,
  openPayoutWorkflow,
  type PayoutProcessor,
  type TickResult,
} from '../src/modules/payouts/index.js';
import { bullPrefix, closeBudgetMs, closeWithin, payoutQueueName, startPassId } from './queues.js';
import type { JobSchedules } from './schedules.js';

// The payout worker: one BullMQ queue per hot wallet (`payouts-<family>-…`), concurrency 1 per worker, and a
// pass holds the wallet's PostgreSQL advisory lock, so a wallet's transactions are built one at a time in nonce
// order across every worker. (Not BullMQ's global concurrency: a SIGKILLed worker's active job would block the
// wallet until its lock expired, while a dead connection's advisory lock is released at once.)
// A job scheduler ticks each wallet every PAYOUT_MONITOR_MS; an approval (NOTIFY novapay_payouts) ticks at
// once. A tick is idempotent: the database holds every step (src/modules/payouts).

export interface Payouts {
  wallets: HotWallet[];
  processors: Map<string, PayoutProcessor>;
  /** Runs one pass of every wallet now (tests, CLI). */
  tickAll(): Promise<TickResult[]>;
  stop(): Promise<void>;
}

export async function startPayouts(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  ledger: LedgerService;
  connection: Redis;
  /** false: no queues or schedulers, only tickAll() (tests that drive passes by hand). */
  schedule?: boolean;
  /** Where the monitor schedules are kept, re-created if Redis loses them. */
  schedules: JobSchedules;
}): Promise<Payouts> {
  const { config, log } = deps;
  const workflow = await openPayoutWorkflow(deps);
  const { processors } = workflow;
  const prefix = bullPrefix(config.redisPrefix);
  const queues: Queue[] = [];
  const workers: Worker[] = [];
  let unlisten: (() => Promise<void>) | null = null;
  if (deps.schedule !== false) {
    for (const [key, processor] of processors) {
      const name = payoutQueueName(key);
      const queue = new Queue(name, { connection: deps.connection, prefix });
      queue.on('error', () => undefined);
      await deps.schedules.add(queue, 'monitor', config.payouts.monitorMs, {
        name: 'tick',
        data: {},
        opts: { removeOnComplete: 100, removeOnFail: 500 },
      });
      const worker = new Worker(
        name,
        async () => {
          const r = await processor.tick();
          if (r.sent || r.completed || r.failed || r.replaced) log.info({ wallet: key, ...r }, 'payout pass');
          else log.debug({ wallet: key, ...r }, 'payout pass');
          return r;
        },
        {
          connection: deps.connection,
          prefix,
          concurrency: 1,
          lockDuration: config.workerLockMs,
        },
      );
      worker.on('error', (err) => log.warn({ err: err.message, queue: name }, 'payout worker error'));
      worker.on('failed', (_job, err) => log.warn({ queue: name, err: err.message }, 'payout pass failed'));
      queues.push(queue);
      workers.push(worker);
      // A pass at start: a worker that replaces a killed one resumes at once, whatever the scheduler's state.
      // Its id names the schedule it is a run of: a later completed run supersedes it (src/ops/queue-failures.ts).
      await queue.add(
        'tick',
        {},
        { jobId: startPassId('monitor'), removeOnComplete: true, removeOnFail: 100 },
      );
    }
    const poke = () => {
      for (const q of queues)
        q.add('tick', {}, { jobId: 'approved', removeOnComplete: true, removeOnFail: true }).catch(
          () => undefined,
        );
    };
    unlisten = await listenForApprovals(config.databaseUrl, poke, log);
  }
  return {
    wallets: workflow.wallets,
    processors,
    tickAll: workflow.tickAll,
    async stop() {
      await Promise.all(
        workers.map((w) => closeWithin(`payout worker ${w.name}`, w, log, closeBudgetMs(config))),
      );
      await Promise.all(
        queues.map((q) => closeWithin(`payout queue ${q.name}`, q, log, closeBudgetMs(config))),
      );
      await unlisten?.();
      await workflow.close();
    },
  };
}
