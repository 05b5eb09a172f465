import type { Queue } from 'bullmq';

// Which failed jobs still call for someone (NovaPayQueueFailedJobs, docs/runbook.md). The repeatable work
// (chain scans, deposit expiry, payout monitors, sweeps and reconciliations, the idempotency purge) runs from
// BullMQ job schedulers, and each run carries on from the state stored in the database: a run that failed
// (PostgreSQL away for a minute, say) is superseded by a later run of the same schedule that completes. Such
// a failure has healed by itself and is no longer counted, and so has the pass a worker queues at start. A
// failed one-off job (a webhook retry mirror, a `sweepAddress` or `sweepNow` pass) and a failed run no later run
// made up for still are.

/** Newest ids read of each of a queue's failed and completed sets; older failed jobs count as unresolved. */
export const READ_CAP = 1000;

/**
 * A scheduler's run has the id `repeat:<scheduler id>:<millis it was due>`, the pass a worker queues at start
 * `start-<scheduler id>-<pid>-<millis>` (jobs/queues.ts `startPassId`); null for any other job.
 */
export function scheduledRun(jobId: string): { scheduler: string; dueAt: number } | null {
  const m = /^repeat:(.+):(\d+)$/.exec(jobId) ?? /^start-(.+)-\d+-(\d+)$/.exec(jobId);
  return m ? { scheduler: m[1]!, dueAt: Number(m[2]) } : null;
}

/**
 * Failed jobs of `queue` but the runs of a job scheduler a later-due run of the same scheduler completed
 * after. Reads job ids only (no job hashes), at most READ_CAP of each set, and none for a queue without
 * schedulers (its failed jobs all count).
 */
export async function unresolvedFailed(queue: Queue): Promise<number> {
  const [total, schedulers] = await Promise.all([
    queue.getJobCountByTypes('failed'),
    queue.getJobSchedulersCount(),
  ]);
  // A queue without schedulers (webhooks) has nothing to supersede: no need to read its ids.
  if (total === 0 || schedulers === 0) return total;
  const runs = (await queue.getRanges(['failed'], 0, READ_CAP - 1)).map(scheduledRun);
  if (runs.every((r) => r === null)) return total;
  const lastCompleted = new Map<string, number>();
  for (const id of await queue.getRanges(['completed'], 0, READ_CAP - 1)) {
    const run = scheduledRun(id);
    if (run && run.dueAt > (lastCompleted.get(run.scheduler) ?? -1))
      lastCompleted.set(run.scheduler, run.dueAt);
  }
  const superseded = runs.filter((r) => r !== null && (lastCompleted.get(r.scheduler) ?? -1) > r.dueAt);
  return total - superseded.length;
}
