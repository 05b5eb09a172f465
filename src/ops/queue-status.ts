import type { Job, Queue } from 'bullmq';

// The job queues' part of the ops status (Redis): counts, the oldest waiting job's age and recent failures, each
// call bounded by a timeout (the queue connection otherwise waits out a Redis outage). Used by opsStatus
// (status.ts) and the /metrics sources.

export interface QueueCounts {
  /** Ready and not yet taken: the wait list plus prioritized jobs (webhook jobs are mostly prioritized). */
  waiting: number;
  /** The part of `waiting` that is prioritized. */
  prioritized: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface FailedJob {
  id: string;
  name: string;
  failedReason: string;
  attemptsMade: number;
  failedAt: Date | null;
}

export interface QueueStatus {
  name: string;
  /** null when Redis did not answer (then `error` says why). */
  paused: boolean | null;
  counts: QueueCounts | null;
  /**
   * Seconds the oldest waiting job has waited: since it was created, or last started or due, whichever is
   * later. Exact for the wait list, sampled among the first prioritized jobs; null when none wait.
   */
  oldestWaitingAgeSeconds: number | null;
  /** The most recently failed jobs, newest first. */
  failedJobs: FailedJob[];
  error: string | null;
}

const PRIORITIZED_SAMPLE = 50;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function waitingSince(job: Job): number {
  return Math.max(job.timestamp + (job.opts.delay ?? 0), job.processedOn ?? 0);
}

export async function queueCounts(queue: Queue, timeoutMs: number): Promise<QueueCounts> {
  const c = await withTimeout(
    queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
    timeoutMs,
    `queue ${queue.name}`,
  );
  const n = (k: string) => c[k] ?? 0;
  return {
    waiting: n('wait') + n('prioritized'),
    prioritized: n('prioritized'),
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
    completed: n('completed'),
  };
}

/** Age in seconds of the job that has waited longest, or null when nothing waits. */
export async function oldestWaitingAge(
  queue: Queue,
  timeoutMs: number,
  now = Date.now(),
  prioritizedSample = PRIORITIZED_SAMPLE,
): Promise<number | null> {
  const [wait, prioritized] = await withTimeout(
    Promise.all([
      queue.getJobs(['wait'], 0, 0, true),
      queue.getJobs(['prioritized'], 0, prioritizedSample - 1, true),
    ]),
    timeoutMs,
    `queue ${queue.name}`,
  );
  const since = [...wait, ...prioritized].filter(Boolean).map(waitingSince);
  if (since.length === 0) return null;
  return Math.max(0, (now - Math.min(...since)) / 1000);
}

export async function queueStatus(
  queue: Queue,
  failedLimit: number,
  timeoutMs: number,
): Promise<QueueStatus> {
  try {
    const [counts, paused, oldest, failed] = await Promise.all([
      queueCounts(queue, timeoutMs),
      withTimeout(queue.isPaused(), timeoutMs, `queue ${queue.name}`),
      oldestWaitingAge(queue, timeoutMs),
      failedLimit > 0
        ? withTimeout(queue.getFailed(0, failedLimit - 1), timeoutMs, `queue ${queue.name}`)
        : Promise.resolve([]),
    ]);
    return {
      name: queue.name,
      paused,
      counts,
      oldestWaitingAgeSeconds: oldest,
      failedJobs: failed.filter(Boolean).map((j) => ({
        id: String(j.id),
        name: j.name,
        failedReason: j.failedReason ?? '',
        attemptsMade: j.attemptsMade,
        failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
      })),
      error: null,
    };
  } catch (err) {
    return {
      name: queue.name,
      paused: null,
      counts: null,
      oldestWaitingAgeSeconds: null,
      failedJobs: [],
      error: (err as Error).message,
    };
  }
}
