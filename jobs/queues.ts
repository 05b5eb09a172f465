import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryJob } from '../src/modules/webhooks/service.js';

// Queue names, payloads and retry policy in one place. Jobs are small (ids only) and idempotent: the
// database holds the truth, a job only says "look at this now".

export const QUEUE = { webhooks: 'webhooks' } as const;

export interface Queues {
  webhooks: Queue<DeliveryJob>;
  close(): Promise<void>;
}

/** A hot wallet's payout queue (jobs/payouts.ts): one per wallet key, e.g. `payouts-evm-31337-0xAb…`. */
export function payoutQueueName(walletKey: string): string {
  return `payouts-${walletKey.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** BullMQ keys live under `<REDIS_PREFIX>:bull`, so test runs and tenants of one Redis never collide. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

export function webhookJobOptions(retryScheduleMs: number[]) {
  return {
    attempts: retryScheduleMs.length + 1,
    backoff: { type: 'schedule' },
    // Completed jobs are kept a week so a re-enqueue of the same job id is a no-op (at-least-once without
    // needless duplicates); failed ones a month for ops.
    removeOnComplete: { age: 7 * 86_400, count: 100_000 },
    removeOnFail: { age: 30 * 86_400 },
  };
}

/** Exponential schedule from configuration, with ±20 % jitter so retries of many events spread out. */
export function scheduleBackoff(retryScheduleMs: number[]) {
  return (attemptsMade: number): number => {
    const base =
      retryScheduleMs[Math.min(attemptsMade, retryScheduleMs.length) - 1] ?? retryScheduleMs.at(-1) ?? 1000;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  };
}

export function openQueues(connection: Redis, redisPrefix: string, retryScheduleMs: number[]): Queues {
  const webhooks = new Queue<DeliveryJob>(QUEUE.webhooks, {
    connection,
    prefix: bullPrefix(redisPrefix),
    defaultJobOptions: webhookJobOptions(retryScheduleMs),
  });
  webhooks.on('error', () => undefined); // connection errors surface on the calls that fail
  return {
    webhooks,
    async close() {
      await webhooks.close();
    },
  };
}
