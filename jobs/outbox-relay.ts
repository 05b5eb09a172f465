import pg from 'pg';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import { type EventRow, toStoredEvent } from '../src/modules/events/outbox.js';
import { type PubSub, publishEvent } from '../src/modules/events/topics.js';
import { isWebhookEvent } from '../src/modules/events/types.js';
import { deliveryJobId, MAX_PRIORITY, type QueuedDelivery } from '../src/modules/webhooks/service.js';

// Publishes outbox rows: claims unpublished events with FOR UPDATE SKIP LOCKED (several relays are safe),
// records a delivery per subscribed endpoint, enqueues one job each (job id = event + endpoint), publishes
// the live messages, and marks the events published, all before one commit. If Redis is down the enqueue
// fails, the transaction rolls back and the events wait for the next pass. Woken by LISTEN/NOTIFY, with
// polling as the fallback.

const ENQUEUE_TIMEOUT_MS = 5000;

export interface RelayDeps {
  pool: Pool;
  databaseUrl: string;
  pubsub: PubSub;
  enqueue: (jobs: QueuedDelivery[]) => Promise<void>;
  log: Logger;
  batchSize: number;
  pollMs: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export class OutboxRelay {
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Events published so far by this relay (for tests and metrics). */
  published = 0;

  constructor(private readonly d: RelayDeps) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.kick(), this.d.pollMs);
    await this.listen();
    this.kick();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.d.databaseUrl });
    client.on('notification', () => this.kick());
    client.on('error', (err) => {
      this.d.log.warn({ err: err.message }, 'outbox listener lost its connection; polling until it is back');
      this.listener = null;
      setTimeout(() => void this.listen().catch(() => undefined), 1000);
    });
    try {
      await client.connect();
      await client.query('listen novapay_outbox');
      this.listener = client;
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'outbox listener could not connect; polling');
      setTimeout(() => void this.listen().catch(() => undefined), 1000);
    }
  }

  /** Runs a drain now, or right after the one in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.publishBatch()) === this.d.batchSize) {}
    } catch (err) {
      this.d.log.warn(
        { err: (err as Error).message },
        'outbox relay pass failed; events wait for the next pass',
      );
    }
  }

  /** One claimed batch, published in one transaction. Returns how many events it published. */
  async publishBatch(): Promise<number> {
    const client = await this.d.pool.connect();
    try {
      await client.query('begin');
      const events = await client.query<EventRow>(
        `select * from events where published_at is null order by created_at, id limit $1 for update skip locked`,
        [this.d.batchSize],
      );
      if (events.rows.length === 0) {
        await client.query('commit');
        return 0;
      }
      const stored = events.rows.map(toStoredEvent);
      const tenants = [...new Set(stored.map((e) => `${e.merchantId}\u0000${e.mode}`))].map((k) =>
        k.split('\u0000'),
      );
      const endpoints = await client.query<{
        id: string;
        merchant_id: string;
        mode: string;
        events: string[];
      }>(
        `select id, merchant_id, mode, events from webhook_endpoints
         where status = 'enabled' and deleted_at is null
           and (merchant_id, mode) in (select * from unnest($1::text[], $2::text[]))`,
        [tenants.map((t) => t[0]), tenants.map((t) => t[1])],
      );
      // Each endpoint's backlog so far: a delivery's priority is its place in its own endpoint's queue,
      // which interleaves endpoints fairly instead of serving one long backlog first.
      const backlog = await client.query<{ endpoint_id: string; n: number }>(
        `select endpoint_id, count(*)::int as n from webhook_deliveries
         where status = 'pending' and endpoint_id = any($1) group by endpoint_id`,
        [endpoints.rows.map((e) => e.id)],
      );
      const place = new Map(backlog.rows.map((r) => [r.endpoint_id, r.n]));
      const jobs: QueuedDelivery[] = [];
      const rows = { ev: [] as string[], ep: [] as string[], m: [] as string[], mode: [] as string[] };
      for (const e of stored) {
        if (!isWebhookEvent(e.type)) continue;
        for (const ep of endpoints.rows) {
          if (ep.merchant_id !== e.merchantId || ep.mode !== e.mode) continue;
          if (ep.events.length > 0 && !ep.events.includes(e.type)) continue;
          const n = (place.get(ep.id) ?? 0) + 1;
          place.set(ep.id, n);
          jobs.push({
            jobId: deliveryJobId(e.id, ep.id),
            data: { eventId: e.id, endpointId: ep.id },
            priority: Math.min(n, MAX_PRIORITY),
          });
          rows.ev.push(e.id);
          rows.ep.push(ep.id);
          rows.m.push(e.merchantId);
          rows.mode.push(e.mode);
        }
      }
      if (jobs.length > 0) {
        await client.query(
          `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) on conflict do nothing`,
          [rows.ev, rows.ep, rows.m, rows.mode],
        );
        await withTimeout(this.d.enqueue(jobs), ENQUEUE_TIMEOUT_MS, 'enqueueing webhook jobs');
      }
      for (const e of stored)
        publishEvent(
          (topic, key, payload) => this.d.pubsub.publish(topic, key as never, payload as never),
          e,
        );
      await client.query('update events set published_at = now() where id = any($1)', [
        stored.map((e) => e.id),
      ]);
      await client.query('commit');
      this.published += stored.length;
      return stored.length;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }
}
