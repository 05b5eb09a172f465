import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Response as UndiciResponse } from 'undici';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import type { DeliveryJob, EndpointRow, WebhooksService } from '../src/modules/webhooks/service.js';
import { buildDelivery } from '../src/modules/webhooks/signing.js';
import { TARGET_REFUSED } from '../src/modules/webhooks/ssrf.js';
import { bullPrefix, QUEUE, scheduleBackoff } from './queues.js';

// Delivers one event to one endpoint per job: POST the page's body, any 2xx within the timeout is success;
// otherwise BullMQ retries on the configured schedule, and after the last retry the delivery is failed.
// Every attempt is logged. An endpoint failing for longer than WEBHOOK_DISABLE_AFTER_HOURS is disabled.
// A per-endpoint cap on concurrent deliveries keeps one slow receiver from holding every worker slot.

const SNIPPET_BYTES = 1024;
const NOT_YET_RECORDED_DELAY_MS = 250;
/** A job whose delivery never appeared (its relay transaction rolled back for good) is dropped after this. */
const ORPHAN_JOB_MS = 3600_000;

interface Loaded {
  event: {
    id: string;
    type: string;
    payload: Record<string, unknown>;
    created_at: Date;
    mode: string;
    merchant_id: string;
  };
  endpoint: EndpointRow;
  delivery: { status: string; attempts: number };
}

async function readSnippet(res: UndiciResponse): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < SNIPPET_BYTES) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
}

/** What the attempt log says about a failed request: a refused target in words, else the error's code. */
function attemptError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.cause?.code === 'UND_ERR_CONNECT_TIMEOUT')
    return `timeout after ${timeoutMs} ms`;
  if (e.code === TARGET_REFUSED) return `refused: ${e.message}`;
  if (e.cause?.code === TARGET_REFUSED) return `refused: ${e.cause.message}`;
  return e.cause?.code ?? e.message;
}

export class WebhookDeliverer {
  private readonly inFlight = new Map<string, number>();
  private worker: Worker<DeliveryJob> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly webhooks: WebhooksService,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  start(connection: Redis): Worker<DeliveryJob> {
    this.worker = new Worker<DeliveryJob>(QUEUE.webhooks, (job, token) => this.process(job, token), {
      connection,
      prefix: bullPrefix(this.config.redisPrefix),
      concurrency: this.config.webhookConcurrency,
      lockDuration: this.config.workerLockMs,
      stalledInterval: this.config.workerLockMs,
      settings: { backoffStrategy: scheduleBackoff(this.config.webhookRetryScheduleMs) },
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'webhook worker error'));
    return this.worker;
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }

  private async load(eventId: string, endpointId: string): Promise<Loaded | null> {
    const r = await this.pool.query(
      `select row_to_json(e) as event, row_to_json(w) as endpoint, json_build_object('status', d.status, 'attempts', d.attempts) as delivery
       from webhook_deliveries d join events e on e.id = d.event_id join webhook_endpoints w on w.id = d.endpoint_id
       where d.event_id = $1 and d.endpoint_id = $2`,
      [eventId, endpointId],
    );
    const row = r.rows[0];
    if (!row) return null;
    const ep = row.endpoint;
    const toBuf = (hex: string | null) => (hex ? Buffer.from(hex.replace(/^\\x/, ''), 'hex') : null);
    return {
      event: { ...row.event, created_at: new Date(row.event.created_at) },
      endpoint: {
        ...ep,
        secret_ciphertext: toBuf(ep.secret_ciphertext)!,
        previous_secret_ciphertext: toBuf(ep.previous_secret_ciphertext),
        previous_secret_expires_at: ep.previous_secret_expires_at
          ? new Date(ep.previous_secret_expires_at)
          : null,
        failing_since: ep.failing_since ? new Date(ep.failing_since) : null,
      },
      delivery: row.delivery,
    };
  }

  async process(job: Job<DeliveryJob>, token?: string): Promise<string> {
    const { eventId, endpointId, force } = job.data;
    const running = this.inFlight.get(endpointId) ?? 0;
    if (running >= this.config.webhookPerEndpointConcurrency && token) {
      // Fairness: this endpoint already has its share of workers; come back shortly, leave slots to others.
      await job.moveToDelayed(Date.now() + 200 + Math.floor(Math.random() * 300), token);
      throw new DelayedError();
    }
    this.inFlight.set(endpointId, running + 1);
    try {
      // The relay enqueues inside the transaction that records the delivery, so a job can start before that
      // commits (or after it rolled back, when Redis answered late): look again shortly, without spending an
      // attempt; the row is coming, or the relay enqueues the job again.
      const loaded = await this.load(eventId, endpointId);
      if (!loaded) {
        if (Date.now() - job.timestamp > ORPHAN_JOB_MS)
          throw new UnrecoverableError(`no delivery ${eventId} → ${endpointId}`);
        if (!token) throw new Error(`delivery ${eventId} → ${endpointId} is not recorded yet`);
        await job.moveToDelayed(Date.now() + NOT_YET_RECORDED_DELAY_MS, token); // not an attempt
        throw new DelayedError();
      }
      if (loaded.delivery.status === 'succeeded' && !force) return 'already delivered';
      if (loaded.endpoint.status !== 'enabled') {
        await this.finish(
          eventId,
          endpointId,
          'failed',
          null,
          `endpoint ${loaded.endpoint.disabled_reason ?? 'disabled'}`,
        );
        return 'endpoint disabled';
      }
      if (!(await this.lease(eventId, endpointId, !!force)))
        return 'delivered or being delivered by another job';
      return await this.attempt(job, loaded);
    } finally {
      const n = (this.inFlight.get(endpointId) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(endpointId);
      else this.inFlight.set(endpointId, n);
    }
  }

  /** Takes the delivery for this attempt; false when it succeeded meanwhile or another job holds it. */
  private async lease(eventId: string, endpointId: string, force: boolean): Promise<boolean> {
    const r = await this.pool.query(
      `update webhook_deliveries set leased_until = now() + make_interval(secs => $3)
       where event_id = $1 and endpoint_id = $2 and (status <> 'succeeded' or $4)
         and (leased_until is null or leased_until < now())
       returning 1`,
      [eventId, endpointId, (this.config.webhookTimeoutMs + 30_000) / 1000, force],
    );
    return r.rowCount === 1;
  }

  private async attempt(job: Job<DeliveryJob>, { event, endpoint, delivery }: Loaded): Promise<string> {
    const attempt = delivery.attempts + 1;
    const { body, headers } = buildDelivery(
      { id: event.id, type: event.type, data: event.payload, createdAt: event.created_at },
      this.webhooks.secrets(endpoint),
    );
    const started = performance.now();
    let status: number | null = null;
    let snippet: string | null = null;
    let error: string | null = null;
    try {
      // The target is checked inside the connection (ssrf.ts): the address connected to is the one checked.
      const guarded = await this.webhooks.guarded({ merchantId: endpoint.merchant_id, mode: endpoint.mode });
      const signal = AbortSignal.timeout(this.config.webhookTimeoutMs);
      const res = await this.webhooks.targets.post(new URL(endpoint.url), { body, headers, signal }, guarded);
      status = res.status;
      snippet = await readSnippet(res);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      error = attemptError(err, this.config.webhookTimeoutMs);
    }
    const latencyMs = Math.round(performance.now() - started);
    const logged = { attempt, latencyMs, snippet };
    if (!error) {
      // One round trip and one commit: the attempt, the delivery's final state, and (only when it was
      // failing) the endpoint's recovery. A write per delivery to the endpoint row would serialise them all.
      await this.pool.query(
        `with a as (
           insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
           values ($1, $2, $3, $4, $5, $6, null) returning 1),
         d as (
           update webhook_deliveries set status = 'succeeded', attempts = attempts + 1, last_status_code = $4, last_error = null,
             leased_until = null, delivered_at = now(), updated_at = now()
           where event_id = $1 and endpoint_id = $2 returning 1),
         e as (update webhook_endpoints set failing_since = null where id = $2 and failing_since is not null returning 1)
         select 1`,
        [event.id, endpoint.id, attempt, status, latencyMs, snippet],
      );
      return `delivered (${status})`;
    }
    await this.logAttempt(event.id, endpoint.id, logged, status, error);
    const disabled = await this.noteFailure(endpoint.id);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (disabled || last) {
      await this.finish(
        event.id,
        endpoint.id,
        'failed',
        status,
        disabled ? `${error}; endpoint disabled` : error,
      );
      return `failed: ${error}`;
    }
    const nextMs =
      this.config.webhookRetryScheduleMs[Math.min(attempt, this.config.webhookRetryScheduleMs.length) - 1] ??
      0;
    await this.pool.query(
      `update webhook_deliveries set attempts = attempts + 1, last_status_code = $3, last_error = $4,
         next_attempt_at = now() + make_interval(secs => $5), leased_until = null, updated_at = now()
       where event_id = $1 and endpoint_id = $2`,
      [event.id, endpoint.id, status, error, nextMs / 1000],
    );
    throw new Error(`delivery failed: ${error}`);
  }

  private async logAttempt(
    eventId: string,
    endpointId: string,
    a: { attempt: number; latencyMs: number; snippet: string | null },
    status: number | null,
    error: string,
  ) {
    await this.pool.query(
      `insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [eventId, endpointId, a.attempt, status, a.latencyMs, a.snippet, error],
    );
  }

  private async finish(
    eventId: string,
    endpointId: string,
    status: 'succeeded' | 'failed',
    code: number | null,
    error: string | null,
  ) {
    await this.pool.query(
      `update webhook_deliveries set status = $3, attempts = attempts + 1, last_status_code = $4, last_error = $5,
         leased_until = null,
         delivered_at = case when $3 = 'succeeded' then now() else delivered_at end, updated_at = now()
       where event_id = $1 and endpoint_id = $2`,
      [eventId, endpointId, status, code, error],
    );
  }

  /** Marks the endpoint failing; disables it once it has failed for longer than the configured window. */
  private async noteFailure(endpointId: string): Promise<boolean> {
    const r = await this.pool.query<{ status: string }>(
      `update webhook_endpoints set failing_since = coalesce(failing_since, now()),
         status = case when failing_since is not null and failing_since < now() - make_interval(secs => $2) then 'disabled' else status end,
         disabled_reason = case when failing_since is not null and failing_since < now() - make_interval(secs => $2)
           then 'failing for ' || round(extract(epoch from now() - failing_since) / 3600, 1) || ' h' else disabled_reason end,
         updated_at = now()
       where id = $1 returning status`,
      [endpointId, this.config.webhookDisableAfterMs / 1000],
    );
    const disabled = r.rows[0]?.status === 'disabled';
    if (disabled) this.log.warn({ endpointId }, 'webhook endpoint disabled after failing too long');
    return disabled;
  }
}
