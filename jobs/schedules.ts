import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../src/lib/logger.js';

// The job schedulers of the workers (chain scans, deposit expiry, payout monitors) live in Redis. A Redis
// that restarts without persistence, is flushed or fails over to an empty replica loses them, and nothing
// would ever run those jobs again: the scanners' cursors would freeze for good. So every schedule a worker
// creates is kept here and re-created whenever Redis no longer has it: after each reconnection, and on a
// periodic check (a flush does not drop the connection).

interface Schedule {
  queue: Queue;
  id: string;
  every: number;
  template: { name: string; data: object; opts: { removeOnComplete: number; removeOnFail: number } };
}

export class JobSchedules {
  private readonly list: Schedule[] = [];
  private running: Promise<string[]> | null = null;

  constructor(private readonly log: Logger) {}

  /** Creates (or updates) the schedule now, and keeps it. */
  async add(queue: Queue, id: string, every: number, template: Schedule['template']): Promise<void> {
    await queue.upsertJobScheduler(id, { every }, template);
    this.list.push({ queue, id, every, template });
  }

  /** Re-creates every kept schedule Redis no longer has; returns `<queue>/<id>` of each. */
  ensure(): Promise<string[]> {
    this.running ??= this.recreateMissing().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async recreateMissing(): Promise<string[]> {
    const missing: string[] = [];
    for (const s of this.list) {
      if (await s.queue.getJobScheduler(s.id)) continue;
      await s.queue.upsertJobScheduler(s.id, { every: s.every }, s.template);
      missing.push(`${s.queue.name}/${s.id}`);
    }
    if (missing.length > 0)
      this.log.warn(
        { schedules: missing },
        'job schedules were missing from Redis (restarted without persistence, flushed or failed over): re-created them',
      );
    return missing;
  }

  /**
   * Checks the schedules on every reconnection of `connection` and every `everyMs`, with `alsoEvery` run on
   * the same timer; returns the function that stops it.
   */
  watch(connection: Redis, everyMs: number, alsoEvery: () => Promise<void>): () => void {
    const check = () => {
      this.ensure().catch((err) =>
        this.log.warn({ err: (err as Error).message }, 'could not check the job schedules'),
      );
    };
    let connectedOnce = connection.status === 'ready';
    const onReady = () => {
      if (connectedOnce) check();
      connectedOnce = true;
    };
    connection.on('ready', onReady);
    const timer = setInterval(() => {
      check();
      alsoEvery().catch(() => undefined);
    }, everyMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      connection.off('ready', onReady);
    };
  }
}
