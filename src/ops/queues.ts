import { Queue } from 'bullmq';
import { MAINTENANCE_QUEUE } from '../../jobs/maintenance.js';
import { bullPrefix, closeWithin, payoutQueueName, type Queues, sweepQueueName } from '../../jobs/queues.js';
import { CHAIN_QUEUE } from '../../jobs/scanning.js';
import type { Pool } from '../db/database.js';
import type { Logger } from '../lib/logger.js';

/** The queues ops surfaces look at (metrics, the dashboard, `opsStatus`), in display order. */
export interface OpsQueues {
  /** Grows when a worker registers a new hot wallet (see `refresh`): read it at use, do not copy it. */
  all: Queue[];
  byName(name: string): Queue | undefined;
  /** Adds a handle on each hot wallet's payout queue the workers have registered since; returns the new ones. */
  refresh(pool: Pool): Promise<Queue[]>;
  /**
   * Closes only the handles opened here (the app's own queues are closed by the app), each given up after `ms`
   * and never failing: with Redis down a close could hang or reject, and the process's stop with it.
   */
  close(log: Logger, ms: number): Promise<void>;
}

/**
 * The app's webhooks queue plus handles on 'chain-scan', 'maintenance' (the idempotency purge), the per-hot-wallet payout queues (owned by the
 * workers, which may not run in this process) and the sweep queue of each network with a sweep policy (owned by
 * the signer). The extra handles share the webhooks queue's Redis connection, so they cost no connection.
 */
export function openOpsQueues(queues: Queues, redisPrefix: string, sweptChains: string[] = []): OpsQueues {
  const open = (name: string) => {
    const q = new Queue(name, {
      connection: queues.webhooks.opts.connection,
      prefix: bullPrefix(redisPrefix),
    });
    q.on('error', () => undefined); // connection errors surface on the calls that fail
    return q;
  };
  const chainScan = open(CHAIN_QUEUE);
  const maintenance = open(MAINTENANCE_QUEUE);
  const sweeps = sweptChains.map((chain) => open(sweepQueueName(chain)));
  const opened: Queue[] = [chainScan, maintenance, ...sweeps];
  const all: Queue[] = [queues.webhooks as unknown as Queue, chainScan, maintenance, ...sweeps];
  return {
    all,
    byName: (name) => all.find((q) => q.name === name),
    async refresh(pool) {
      const r = await pool.query<{ key: string }>('select key from hot_wallets order by key');
      const added: Queue[] = [];
      for (const { key } of r.rows) {
        const name = payoutQueueName(key);
        if (all.some((q) => q.name === name)) continue;
        const q = open(name);
        opened.push(q);
        all.push(q);
        added.push(q);
      }
      return added;
    },
    async close(log, ms) {
      await Promise.all(opened.map((q) => closeWithin(`ops queue ${q.name}`, q, log, ms)));
    },
  };
}
