import type { Queue } from 'bullmq';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import { type DeliveryJob, deliveryJobId } from '../src/modules/webhooks/service.js';

// The database, not Redis, is the record of what must be delivered. If Redis lost its jobs (restarted
// without persistence, flushed, failed over), pending deliveries that are overdue are put back on the
// queue under their own job ids: an existing job makes that a no-op, a failed one is retried.

const SWEEP_LIMIT = 1000;

export class WebhookReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly pool: Pool,
    private readonly queue: Queue<DeliveryJob>,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.sweep().catch((err) => this.log.warn({ err: err.message }, 'reconcile failed')),
      this.everyMs,
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }

  /** Re-enqueues deliveries pending for longer than one sweep interval past their due time. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const r = await this.pool.query<{ event_id: string; endpoint_id: string }>(
        `select event_id, endpoint_id from webhook_deliveries
         where status = 'pending' and next_attempt_at < now() - make_interval(secs => $1)
         order by next_attempt_at limit $2`,
        [this.everyMs / 1000, SWEEP_LIMIT],
      );
      let revived = 0;
      for (const d of r.rows) {
        const jobId = deliveryJobId(d.event_id, d.endpoint_id);
        const job = await this.queue.getJob(jobId);
        if (!job) {
          await this.queue.add('deliver', { eventId: d.event_id, endpointId: d.endpoint_id }, { jobId });
          revived++;
        } else if (await job.isFailed()) {
          await job.retry('failed');
          revived++;
        } else if (await job.isCompleted()) {
          // Finished in Redis yet pending in the database (a crash between the two): run it again under a
          // new id. Not forced: if it succeeded meanwhile the worker sees that and skips it.
          await this.queue.add(
            'deliver',
            { eventId: d.event_id, endpointId: d.endpoint_id },
            { jobId: `${jobId}__c${Date.now()}` },
          );
          revived++;
        }
      }
      if (revived > 0) this.log.info({ revived }, 're-enqueued overdue webhook deliveries');
      return revived;
    } finally {
      this.running = false;
    }
  }
}
