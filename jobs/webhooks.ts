import { type Job, type Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import type { DeliveryJob, WebhooksService } from '../src/modules/webhooks/index.js';
import { DeliveryDispatcher, wakeForRetry } from '../src/modules/webhooks/index.js';
import { jobData, webhookJobData } from './job-data.js';
import { bullPrefix, closeBudgetMs, closeWithin, QUEUE } from './queues.js';

// Binds webhook delivery (src/modules/webhooks/delivery) to this worker process and to BullMQ. The
// dispatcher works from PostgreSQL alone; BullMQ's `webhooks` queue only mirrors each scheduled retry as a
// delayed job, so ops see retries on the dashboard and can run one early or pause delivery there. When a
// mirror job comes due, any worker takes it and wakes its dispatcher; if Redis lost it, the dispatcher's own
// timer and poll send the retry anyway.

/** How often the dashboard's pause flag is read again, besides the paused/resumed events. */
const PAUSE_REFRESH_MS = 5000;
/** Redis must answer a read of the pause flag this fast; otherwise delivery goes on (Redis is not the truth). */
const PAUSE_TIMEOUT_MS = 500;

/**
 * The dashboard's pause flag, kept current by BullMQ's paused/resumed events (so a pause takes effect at
 * once) and read again every few seconds in case an event was missed.
 */
function pausedFlag(
  queue: Queue<DeliveryJob>,
  connection: Redis,
  prefix: string,
  onResume: () => void,
  log: Logger,
  closeMs: number,
) {
  let value = false;
  const read = async () => {
    const timeout = new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(value), PAUSE_TIMEOUT_MS).unref(),
    );
    value = await Promise.race([queue.isPaused().catch(() => value), timeout]);
  };
  // Ours to close: BullMQ leaves a connection it was given open (this one kept the process alive).
  const eventsConnection = connection.duplicate();
  // A duplicate has none of the original's listeners: unheard, each failed reconnect while Redis is down
  // printed "[ioredis] Unhandled error event". Its errors surface on the calls that fail.
  eventsConnection.on('error', () => undefined);
  const events = new QueueEvents(QUEUE.webhooks, { connection: eventsConnection, prefix });
  events.on('paused', () => {
    value = true;
  });
  events.on('resumed', () => {
    value = false;
    onResume();
  });
  events.on('error', () => undefined);
  const timer = setInterval(() => void read(), PAUSE_REFRESH_MS);
  timer.unref();
  return {
    paused: async () => value,
    start: read,
    async close() {
      clearInterval(timer);
      await closeWithin('webhook pause events', events, log, closeMs);
      eventsConnection.disconnect();
    },
  };
}

/** A mirror job came due: wake the dispatcher; a job for a delivery that does not exist fails, for ops to see. */
async function mirrorJob(pool: Pool, job: Job<DeliveryJob>, dispatcher: DeliveryDispatcher): Promise<string> {
  const { eventId, endpointId } = jobData(webhookJobData, job);
  if (!(await wakeForRetry(pool, dispatcher, eventId, endpointId)))
    throw new UnrecoverableError(`no delivery ${eventId} → ${endpointId}`);
  return 'woke the dispatcher';
}

export async function startWebhookDelivery(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  webhooks: WebhooksService;
  queue: Queue<DeliveryJob>;
  connection: Redis;
}) {
  const { config, log, queue } = deps;
  const prefix = bullPrefix(config.redisPrefix);
  let dispatcher: DeliveryDispatcher | null = null;
  const pause = pausedFlag(
    queue,
    deps.connection,
    prefix,
    () => dispatcher?.kick(),
    log,
    closeBudgetMs(config),
  );
  await pause.start();
  dispatcher = new DeliveryDispatcher(
    deps.pool,
    deps.webhooks,
    {
      databaseUrl: config.databaseUrl,
      concurrency: config.webhookConcurrency,
      perEndpoint: config.webhookPerEndpointConcurrency,
      timeoutMs: config.webhookTimeoutMs,
      retryScheduleMs: config.webhookRetryScheduleMs,
      disableAfterMs: config.webhookDisableAfterMs,
      leaseMs: config.workerLockMs,
      pollMs: config.webhookReconcileMs,
      failingProbeMs: config.webhookFailingProbeMs,
      failingProbeMaxMs: config.webhookFailingProbeMaxMs,
    },
    log,
    {
      paused: pause.paused,
      retryScheduled: (eventId, endpointId, attempt, delayMs) => {
        queue
          .add(
            'retry',
            { eventId, endpointId },
            { jobId: `${eventId}__${endpointId}__a${attempt}`, delay: delayMs },
          )
          .catch((err) => log.debug({ err: (err as Error).message }, 'could not mirror a webhook retry'));
      },
    },
  );
  const running = dispatcher;
  const worker = new Worker<DeliveryJob>(QUEUE.webhooks, (job) => mirrorJob(deps.pool, job, running), {
    connection: deps.connection,
    prefix,
    concurrency: 4,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'webhook retry worker error'));
  await running.start();
  return {
    dispatcher: running,
    async stop() {
      await closeWithin('webhook retry worker', worker, log, closeBudgetMs(config));
      await pause.close();
      await running.stop();
    },
  };
}
