import type { Queue } from 'bullmq';
import type { Pool } from '../db/database.js';
import { ATTEMPT_OUTCOMES, COUNT_CAP, type Instruments } from './metrics-instruments.js';
import { unresolvedFailed } from './queue-failures.js';
import { oldestWaitingAge, queueCounts, scannerStatus, withTimeout } from './status.js';

// What OpsMetrics (metrics.ts) reads on each scrape: PostgreSQL (outbox, webhooks, scanners) and Redis
// (queues), with cheap queries only. A source that fails has its series removed, not left stale.

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Prioritized jobs sampled for the oldest waiting age (the wait list's oldest is read exactly). */
const PRIORITIZED_SAMPLE = 10;

interface DatabaseSummary {
  outbox_backlog: number;
  outbox_oldest_seconds: number | null;
  webhook_pending: number;
  endpoints_failing: number;
  endpoints_disabled: number;
}

interface NewAttempts {
  max_id: bigint | null;
  success: number;
  http_error: number;
  network_error: number;
}

/** The newest webhook_attempts id: attempts are counted from there on (a counter starts at zero). */
export async function latestAttemptId(pool: Pool): Promise<bigint> {
  const r = await pool.query<{ max: bigint | null }>('select max(id) as max from webhook_attempts');
  return r.rows[0]?.max ?? 0n;
}

function readSummary(pool: Pool) {
  return pool.query<DatabaseSummary>(
    `select
       (select count(*) from (select 1 from events where published_at is null limit $1) s)::int as outbox_backlog,
       (select extract(epoch from now() - min(created_at)) from events where published_at is null)::float8
         as outbox_oldest_seconds,
       (select count(*) from (select 1 from webhook_deliveries where status = 'pending' limit $1) s)::int
         as webhook_pending,
       (select count(*) from webhook_endpoints
         where deleted_at is null and status = 'enabled' and failing_since is not null)::int as endpoints_failing,
       (select count(*) from webhook_endpoints where deleted_at is null and status = 'disabled')::int
         as endpoints_disabled`,
    [COUNT_CAP],
  );
}

/** Only rows past the last one counted: an index range scan on the primary key. */
function readNewAttempts(pool: Pool, attemptsSeen: bigint) {
  return pool.query<NewAttempts>(
    `select max(id) as max_id,
            (count(*) filter (where error is null))::int as success,
            (count(*) filter (where error is not null and status_code is not null))::int as http_error,
            (count(*) filter (where error is not null and status_code is null))::int as network_error
     from webhook_attempts where id > $1`,
    [attemptsSeen.toString()],
  );
}

function setScanners(i: Instruments, scanners: Awaited<ReturnType<typeof scannerStatus>>): void {
  i.scannerHead.reset();
  i.scannerCursor.reset();
  i.scannerLagBlocks.reset();
  i.scannerLagSeconds.reset();
  for (const c of scanners) {
    const chain = { chain: c.chain };
    i.scannerCursor.set(chain, c.cursorBlock);
    if (c.headBlock !== null) i.scannerHead.set(chain, c.headBlock);
    if (c.lagBlocks !== null) i.scannerLagBlocks.set(chain, c.lagBlocks);
    if (c.lagSeconds !== null) i.scannerLagSeconds.set(chain, c.lagSeconds);
  }
}

/**
 * Sets the PostgreSQL-backed series and counts the webhook attempts after `attemptsSeen`; returns the id up
 * to which attempts are now counted.
 */
export async function refreshDatabase(pool: Pool, i: Instruments, attemptsSeen: bigint): Promise<bigint> {
  try {
    const [summary, scanners, attempts] = await Promise.all([
      readSummary(pool),
      scannerStatus(pool),
      readNewAttempts(pool, attemptsSeen),
    ]);
    const s = summary.rows[0]!;
    i.outboxBacklog.set(s.outbox_backlog);
    i.outboxOldest.set(Math.max(0, s.outbox_oldest_seconds ?? 0));
    i.webhookPending.set(s.webhook_pending);
    i.webhookEndpoints.set({ state: 'failing' }, s.endpoints_failing);
    i.webhookEndpoints.set({ state: 'disabled' }, s.endpoints_disabled);

    setScanners(i, scanners);

    const a = attempts.rows[0]!;
    if (a.max_id !== null && a.max_id > attemptsSeen) {
      for (const outcome of ATTEMPT_OUTCOMES) i.webhookAttempts.inc({ outcome }, a[outcome]);
      return a.max_id;
    }
    return attemptsSeen;
  } catch (err) {
    for (const g of [
      i.outboxBacklog,
      i.outboxOldest,
      i.webhookPending,
      i.webhookEndpoints,
      i.scannerHead,
      i.scannerCursor,
      i.scannerLagBlocks,
      i.scannerLagSeconds,
    ])
      g.reset();
    throw err;
  }
}

/** Sets the queue series from Redis, each read bounded by `timeoutMs`. */
export async function refreshQueues(
  queues: readonly Queue[],
  i: Instruments,
  timeoutMs: number,
): Promise<void> {
  try {
    const read = await Promise.all(
      queues.map(async (q) => {
        const [counts, paused, oldest, unresolved] = await Promise.all([
          queueCounts(q, timeoutMs),
          withTimeout(q.isPaused(), timeoutMs, `queue ${q.name}`),
          oldestWaitingAge(q, timeoutMs, Date.now(), PRIORITIZED_SAMPLE),
          withTimeout(unresolvedFailed(q), timeoutMs, `queue ${q.name}`),
        ]);
        return { queue: q.name, counts, paused, oldest, unresolved };
      }),
    );
    for (const { queue, counts, paused, oldest, unresolved } of read) {
      for (const state of QUEUE_STATES) i.queueJobs.set({ queue, state }, counts[state]);
      i.queueFailedUnresolved.set({ queue }, unresolved);
      i.queuePaused.set({ queue }, paused ? 1 : 0);
      i.queueOldest.set({ queue }, oldest ?? 0);
    }
  } catch (err) {
    i.queueJobs.reset();
    i.queueFailedUnresolved.reset();
    i.queuePaused.reset();
    i.queueOldest.reset();
    throw err;
  }
}
