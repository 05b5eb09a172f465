import type { Pool, PoolClient } from '../../db/database.js';
import { type ChannelListener, listenChannel } from '../../db/listener.js';
import { FailureRun } from '../../lib/failure-run.js';
import type { Logger } from '../../lib/logger.js';
import { publishEvent } from './live-messages.js';
import { type EventRow, toStoredEvent } from './outbox.js';
import type { PubSub } from './topics.js';
import type { StoredEvent } from './types.js';

// Publishes outbox rows: claims unpublished events (one pass at a time across relays, RELAY_LOCK; FOR UPDATE
// SKIP LOCKED besides) and marks them published in one statement, hands them to the webhooks module to record their deliveries
// (`fanOut`, in this same transaction), and publishes the live messages, all before one commit, which waits until
// Redis has answered them (liveFlushed, FLUSH_WAIT_MS at most). Nothing here needs Redis to succeed: while it is
// away live messages wait in the pub/sub client's offline queue, and deliveries are rows.
// Woken by LISTEN/NOTIFY, with polling as the fallback.

const CLAIM = {
  name: 'outbox_claim',
  // Claimed and marked in one statement, then read in the order the events were created (RETURNING has none).
  text: `with claimed as (
           update events set published_at = now()
           where id in (select id from events where published_at is null
                        order by created_at, id limit $1 for update skip locked)
           returning *)
         select * from claimed order by created_at, id`,
} as const;

/**
 * Held by each pass until it commits, so the relays of every worker publish one pass after the other, in the
 * order they claim. Side by side (SKIP LOCKED alone), a pass that claimed the next events while another was
 * between its claim and its publish published them first: a user's balances, history rows and a stream's
 * donations reached subscribers out of order, and a wallet ended on an older balance (latest wins).
 */
const RELAY_LOCK = `select pg_advisory_xact_lock(hashtextextended('novapay:outbox-relay', 0))`;

/** Longest a pass waits for Redis to answer its live messages before it commits anyway. */
const FLUSH_WAIT_MS = 1000;

/** The channel the `events` table's trigger notifies (migrations/Migration20261126010000_events.ts). */
const OUTBOX_CHANNEL = 'novapay_outbox';

export interface RelayDeps {
  pool: Pool;
  databaseUrl: string;
  pubsub: PubSub;
  /**
   * Resolves once Redis has what `pubsub` published so far (LiveEventTarget.flushed; at once while Redis is
   * away). A pass waits for it, at most FLUSH_WAIT_MS, before its commit lets the next pass publish.
   */
  liveFlushed?: () => Promise<void>;
  /** Records what the events imply beyond live messages (webhook deliveries), in the relay's transaction. */
  fanOut: (client: PoolClient, events: StoredEvent[]) => Promise<unknown>;
  log: Logger;
  batchSize: number;
  pollMs: number;
  /**
   * How long an idle relay waits after a wake-up before its pass, so one pass carries the commits of that
   * window instead of one pass per commit (OUTBOX_COALESCE_MS; 0 runs at once).
   */
  coalesceMs: number;
}

export class OutboxRelay {
  private listener: ChannelListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private soon: NodeJS.Timeout | null = null;
  private again = false;
  private stopped = false;
  /** Events published so far by this relay (for tests and metrics). */
  published = 0;

  /** While PostgreSQL is away every pass fails: logged once, and once more when a pass works again. */
  private readonly failures: FailureRun;

  constructor(private readonly d: RelayDeps) {
    this.failures = new FailureRun(d.log, {
      failing: 'outbox relay pass failed; events wait for the next pass (logged again when a pass works)',
      recovered: 'outbox relay passes work again',
      countField: 'failedPasses',
    });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.kick(), this.d.pollMs);
    const listener = await listenChannel({
      databaseUrl: this.d.databaseUrl,
      channel: OUTBOX_CHANNEL,
      onNotify: () => this.kick(),
      log: this.d.log,
      what: 'outbox',
    });
    // Stopped while it was connecting: nobody else will close it (and it would reconnect for good).
    if (this.stopped) {
      await listener.close();
      return;
    }
    this.listener = listener;
    this.kick();
  }

  /**
   * Runs a drain `coalesceMs` from now when idle, or right after the one in progress (whose wait already
   * gathered what came meanwhile). Under load passes follow each other; at a trickle one pass per window
   * carries several commits, where one pass per commit cost a transaction of five statements each.
   */
  kick(): void {
    if (this.stopped || this.soon) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.d.coalesceMs <= 0) {
      this.run();
      return;
    }
    this.soon = setTimeout(() => {
      this.soon = null;
      this.run();
    }, this.d.coalesceMs);
  }

  private run(): void {
    if (this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.run();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.publishBatch()) === this.d.batchSize) {}
      this.failures.worked();
    } catch (err) {
      this.failures.failed(err);
    }
  }

  /** One claimed batch, published in one transaction. Returns how many events it published. */
  async publishBatch(): Promise<number> {
    const client = await this.d.pool.connect();
    try {
      await client.query('begin');
      // One pass at a time across every relay (RELAY_LOCK): passes side by side published a later claim first.
      await client.query(RELAY_LOCK);
      // The mark is undone with the rest if anything after it fails: the next pass takes the events again.
      const events = await client.query<EventRow>({ ...CLAIM, values: [this.d.batchSize] });
      if (events.rows.length === 0) {
        await client.query('commit');
        return 0;
      }
      const stored = events.rows.map(toStoredEvent);
      await this.d.fanOut(client, stored);
      for (const e of stored)
        publishEvent(
          (topic, key, payload) => this.d.pubsub.publish(topic, key as never, payload as never),
          e,
        );
      await this.liveFlushed();
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

  /** Waits until Redis has this pass's live messages, FLUSH_WAIT_MS at most (a Redis that stopped answering). */
  private async liveFlushed(): Promise<void> {
    if (!this.d.liveFlushed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.d.liveFlushed(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FLUSH_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.running;
    await this.listener?.close();
  }
}
