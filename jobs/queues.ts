import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../src/lib/logger.js';
import type { DeliveryJob } from '../src/modules/webhooks/index.js';

// Queue names, payloads and retry policy in one place. Jobs are small (ids only) and idempotent: the
// database holds the truth, a job only says "look at this now".

export const QUEUE = { webhooks: 'webhooks' } as const;

export interface Queues {
  webhooks: Queue<DeliveryJob>;
  /** A network's sweep queue (opened on first use), where ops' `sweepNow` and `sweepAddress` add a pass. */
  sweeps(chain: string): Queue<SweepJob>;
  close(): Promise<void>;
}

/** A sweep pass; `address` is ops' `sweepAddress` (planned first, whatever the threshold). */
export interface SweepJob {
  address?: string;
}

/** A hot wallet's payout queue (jobs/payouts.ts): one per wallet key, e.g. `payouts-evm-31337-0xAb…`. */
export function payoutQueueName(walletKey: string): string {
  return `payouts-${walletKey.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** A network's sweep queue (jobs/sweeps.ts), e.g. `sweeps-ERC20-test`. */
export function sweepQueueName(chain: string): string {
  return `sweeps-${chain.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/**
 * The id of the pass a worker queues at start, one run of the job scheduler `scheduler` ahead of time:
 * `start-<scheduler>-<pid>-<millis>`. A failed one is superseded as that scheduler's runs are
 * (src/ops/queue-failures.ts). BullMQ refuses `:` in an id of one's own.
 */
export function startPassId(scheduler: string): string {
  return `start-${scheduler}-${process.pid}-${Date.now()}`;
}

/** BullMQ keys live under `<REDIS_PREFIX>:bull`, so test runs and tenants of one Redis never collide. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

/**
 * The webhooks queue holds a mirror of each scheduled retry (jobs/webhooks.ts), never the delivery itself:
 * a mirror job is run once, and kept a week after it ran, a month if it failed, for ops.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: { age: 7 * 86_400, count: 100_000 },
  removeOnFail: { age: 30 * 86_400 },
};

export function openQueues(connection: Redis, redisPrefix: string, log: Logger, closeMs: number): Queues {
  const webhooks = new Queue<DeliveryJob>(QUEUE.webhooks, {
    connection,
    prefix: bullPrefix(redisPrefix),
    defaultJobOptions: WEBHOOK_JOB_OPTIONS,
  });
  webhooks.on('error', () => undefined); // connection errors surface on the calls that fail
  const sweeps = new Map<string, Queue<SweepJob>>();
  return {
    webhooks,
    sweeps(chain) {
      let q = sweeps.get(chain);
      if (!q) {
        q = new Queue<SweepJob>(sweepQueueName(chain), { connection, prefix: bullPrefix(redisPrefix) });
        q.on('error', () => undefined);
        sweeps.set(chain, q);
      }
      return q;
    },
    async close() {
      await Promise.all(
        [webhooks, ...sweeps.values()].map((q) => closeWithin(`queue ${q.name}`, q, log, closeMs)),
      );
    },
  };
}

/**
 * How long one BullMQ worker or queue may take to close at shutdown: an eighth of SHUTDOWN_TIMEOUT_MS. A stop
 * closes them in at most five steps one after another (the job workers with their queues, the webhook retry
 * worker and its pause watcher, the app's queues), so even when every close is given up on, the stop still
 * reaches the database pools before SHUTDOWN_TIMEOUT_MS ends the process.
 */
export function closeBudgetMs(config: { shutdownTimeoutMs: number }): number {
  return Math.floor(config.shutdownTimeoutMs / 8);
}

/**
 * Closes a BullMQ worker or queue, or gives up after `ms`: BullMQ's close waits for its Redis connections to
 * end, which never happens while one is still reconnecting (Redis down at shutdown, or back only just before:
 * taskforcesh/bullmq#4656), and the whole stop would hang there. Given up on, a worker's active jobs (if any)
 * are retried by BullMQ as stalled; the database holds the truth, jobs only say "look at this now".
 */
export async function closeWithin(
  what: string,
  closable: { close(): Promise<void> },
  log: Logger,
  ms: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const closing = closable.close().then(
    () => 'closed' as const,
    (err: Error) => {
      log.warn({ what, err: err.message }, 'could not close cleanly');
      return 'closed' as const;
    },
  );
  const how = await Promise.race([closing, late]);
  clearTimeout(timer);
  if (how === 'late')
    log.warn({ what, ms }, 'did not close in time (Redis unreachable?); stopping without it');
}
