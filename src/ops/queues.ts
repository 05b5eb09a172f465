import { Queue } from 'bullmq';
import { bullPrefix, type Queues } from '../../jobs/queues.js';
import { CHAIN_QUEUE } from '../../jobs/scanning.js';

/** The queues ops surfaces look at (metrics, the dashboard, `opsStatus`), in display order. */
export interface OpsQueues {
  all: readonly Queue[];
  byName(name: string): Queue | undefined;
  /** Closes only the handles opened here; the app's own queues are closed by the app. */
  close(): Promise<void>;
}

/**
 * The app's webhooks queue plus a handle on 'chain-scan' (owned by the workers, which may not run in this
 * process). The extra handle shares the webhooks queue's Redis connection, so it costs no connection.
 */
export function openOpsQueues(queues: Queues, redisPrefix: string): OpsQueues {
  const chainScan = new Queue(CHAIN_QUEUE, {
    connection: queues.webhooks.opts.connection,
    prefix: bullPrefix(redisPrefix),
  });
  chainScan.on('error', () => undefined); // connection errors surface on the calls that fail
  const all: Queue[] = [queues.webhooks as unknown as Queue, chainScan];
  return {
    all,
    byName: (name) => all.find((q) => q.name === name),
    async close() {
      await chainScan.close();
    },
  };
}
