import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix } from '../../jobs/queues.js';

// The bench's Redis keys (BullMQ queues, rate-limit counters) live under one REDIS_PREFIX per benchmark;
// they are deleted before and after a run, so an aborted run never leaves jobs for the next one to chew on.

const REDIS_URL = 'redis://127.0.0.1:6379';
const MAX_SCANS = 10_000;

/** Deletes every key under `<prefix>:`; returns how many. Refuses a prefix that does not name the bench. */
export async function dropRedisPrefix(prefix: string): Promise<number> {
  if (!/^novapay-bench[\w-]*$/.test(prefix)) throw new Error(`refusing to delete keys under '${prefix}'`);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // surfaces on the command that fails
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    for (let i = 0; i < MAX_SCANS; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

const JOB_EVENTS = [
  'added',
  'active',
  'delayed',
  'completed',
  'failed',
  'stalled',
  'retries-exhausted',
] as const;

/**
 * Counts a BullMQ queue's job events (from its Redis event stream, as they happen) until stopped: how many
 * times jobs were put aside ('delayed') for each one that completed, for instance.
 */
export async function countQueueEvents(redisPrefix: string, queue: string) {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const events = new QueueEvents(queue, { connection, prefix: bullPrefix(redisPrefix), lastEventId: '$' });
  events.on('error', () => undefined);
  await events.waitUntilReady();
  let counts: Record<string, number> = {};
  for (const name of JOB_EVENTS) {
    events.on(name as 'added', () => {
      counts[name] = (counts[name] ?? 0) + 1;
    });
  }
  return {
    /** The counts since the last call, and starts counting afresh. */
    take(): Record<string, number> {
      const out = counts;
      counts = {};
      return out;
    },
    async close(): Promise<void> {
      await events.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
