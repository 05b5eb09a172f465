import { Redis } from 'ioredis';

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
