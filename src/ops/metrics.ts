import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import { oldestWaitingAge, queueCounts, scannerStatus, withTimeout } from './status.js';

// Prometheus metrics of one process. Request durations are observed as requests finish; everything read
// from PostgreSQL or Redis (outbox backlog, queue depths, scanner lag, webhook outcomes) is read when
// Prometheus scrapes, with cheap queries only. Those are facts about the whole deployment, so every
// instance reports the same values: aggregate them with max(), not sum().

/** Backlogs are counted up to this many rows, so a scrape stays cheap however far behind a consumer is. */
export const COUNT_CAP = 100_000;
/** Seconds; from 5 ms to 10 s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
const ATTEMPT_OUTCOMES = ['success', 'http_error', 'network_error'] as const;
/** Prioritized jobs sampled for the oldest waiting age (the wait list's oldest is read exactly). */
const PRIORITIZED_SAMPLE = 10;
/** Seconds; GraphQL operations (REST routes run one each) from 1 ms to 10 s. */
const OPERATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Posting requests per ledger batch (LEDGER_MAX_BATCH is at most 1000). */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/**
 * Operation names come from callers: at most this many distinct ones get their own series, later ones are
 * counted as `other`, so a client sending random names cannot grow the registry without bound.
 */
export const MAX_OPERATION_NAMES = 200;

export type OperationSource = 'graphql' | 'rest';

export interface LedgerBatchObservation {
  /** Posting requests in the batch. */
  size: number;
  committed: number;
  /** Refused on their own (insufficient funds, a guard); the rest of the batch went through. */
  rejected: number;
  /** Lost with the batch's transaction (a database error): their callers got an error. */
  failed: number;
  /** Ledger transactions written by the committed requests. */
  transactions: number;
  seconds: number;
}

export interface MetricsDeps {
  pool: Pool;
  queues: readonly Queue[];
  log: Logger;
  redisTimeoutMs?: number;
}

export class OpsMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly outboxBacklog: Gauge;
  private readonly outboxOldest: Gauge;
  private readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly queuePaused: Gauge<'queue'>;
  private readonly queueOldest: Gauge<'queue'>;
  private readonly scannerHead: Gauge<'chain'>;
  private readonly scannerCursor: Gauge<'chain'>;
  private readonly scannerLagBlocks: Gauge<'chain'>;
  private readonly scannerLagSeconds: Gauge<'chain'>;
  private readonly webhookPending: Gauge;
  private readonly webhookEndpoints: Gauge<'state'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly sourceUp: Gauge<'source'>;
  private readonly operationDuration: Histogram<'operation' | 'type' | 'source'>;
  private readonly operationNames = new Set<string>();
  private readonly ledgerPostings: Counter<'outcome'>;
  private readonly ledgerTransactions: Counter;
  private readonly ledgerBatchSize: Histogram;
  private readonly ledgerBatchDuration: Histogram;
  /** Extra collectors run on each scrape (e.g. hot-wallet balances), see `onScrape`. */
  private readonly collectors: (() => Promise<void>)[] = [];
  /** webhook_attempts rows up to this id are already counted. */
  private attemptsSeen = 0n;
  private refreshing: Promise<void> | null = null;

  private constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'novapay_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern (never the raw URL) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: 'novapay_outbox_backlog',
      help: `Events not yet published by the outbox relay (counted up to ${COUNT_CAP})`,
      registers,
    });
    this.outboxOldest = new Gauge({
      name: 'novapay_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest unpublished event (0 when none)',
      registers,
    });
    this.queueJobs = new Gauge({
      name: 'novapay_queue_jobs',
      help: 'Jobs per queue and state; waiting includes prioritized jobs',
      labelNames: ['queue', 'state'],
      registers,
    });
    this.queuePaused = new Gauge({
      name: 'novapay_queue_paused',
      help: '1 when the queue is paused',
      labelNames: ['queue'],
      registers,
    });
    this.queueOldest = new Gauge({
      name: 'novapay_queue_oldest_waiting_seconds',
      help: 'How long the oldest waiting job has waited (0 when none)',
      labelNames: ['queue'],
      registers,
    });
    this.scannerHead = new Gauge({
      name: 'novapay_scanner_head_block',
      help: 'Newest block the chain scanner has seen',
      labelNames: ['chain'],
      registers,
    });
    this.scannerCursor = new Gauge({
      name: 'novapay_scanner_next_block',
      help: 'Next block the chain scanner will scan',
      labelNames: ['chain'],
      registers,
    });
    this.scannerLagBlocks = new Gauge({
      name: 'novapay_scanner_lag_blocks',
      help: 'Blocks seen but not yet scanned (head − next + 1)',
      labelNames: ['chain'],
      registers,
    });
    this.scannerLagSeconds = new Gauge({
      name: 'novapay_scanner_lag_seconds',
      help: 'Seconds since the chain scanner last read the chain head (grows when it stalls)',
      labelNames: ['chain'],
      registers,
    });
    this.webhookPending = new Gauge({
      name: 'novapay_webhook_deliveries_pending',
      help: `Webhook deliveries neither succeeded nor given up (counted up to ${COUNT_CAP})`,
      registers,
    });
    this.webhookEndpoints = new Gauge({
      name: 'novapay_webhook_endpoints',
      help: 'Webhook endpoints currently failing (enabled, last attempt failed) or disabled',
      labelNames: ['state'],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'novapay_webhook_attempts_total',
      help: 'Webhook delivery attempts since this process started, by outcome (all instances of the deployment)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ATTEMPT_OUTCOMES) this.webhookAttempts.inc({ outcome }, 0);
    this.operationDuration = new Histogram({
      name: 'novapay_graphql_operation_duration_seconds',
      help: `GraphQL execution time by operation name (anonymous when unnamed; beyond ${MAX_OPERATION_NAMES} names: other), type and source (graphql: /graphql, rest: the operation a /api/v1 route runs)`,
      labelNames: ['operation', 'type', 'source'],
      buckets: OPERATION_BUCKETS,
      registers,
    });
    this.ledgerPostings = new Counter({
      name: 'novapay_ledger_postings_total',
      help: 'Ledger posting requests (transfers, adjustments, credits) by outcome: committed, rejected, failed',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['committed', 'rejected', 'failed']) this.ledgerPostings.inc({ outcome }, 0);
    this.ledgerTransactions = new Counter({
      name: 'novapay_ledger_transactions_total',
      help: 'Ledger transactions written by committed posting requests',
      registers,
    });
    this.ledgerBatchSize = new Histogram({
      name: 'novapay_ledger_batch_size',
      help: 'Posting requests committed together in one database transaction by the ledger batcher',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.ledgerBatchDuration = new Histogram({
      name: 'novapay_ledger_batch_duration_seconds',
      help: 'Time from a ledger batch starting to its commit (or failure)',
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.sourceUp = new Gauge({
      name: 'novapay_metrics_source_up',
      help: '1 when the last scrape could read the source (postgres, redis); its series are absent otherwise',
      labelNames: ['source'],
      registers,
    });
  }

  static async create(deps: MetricsDeps): Promise<OpsMetrics> {
    const m = new OpsMetrics(deps);
    // Attempts are counted from now on: a counter starts at zero, and the table may be long.
    const r = await deps.pool.query<{ max: bigint | null }>('select max(id) as max from webhook_attempts');
    m.attemptsSeen = r.rows[0]?.max ?? 0n;
    return m;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** `route` is Fastify's route pattern; requests that matched no route are labelled `unmatched`. */
  observeRequest(method: string, route: string | undefined, status: number, elapsedMs: number): void {
    this.httpDuration.observe(
      { method, route: route ?? 'unmatched', status: String(status) },
      Math.max(0, elapsedMs) / 1000,
    );
  }

  /** One executed GraphQL operation (from /graphql, or the fixed operation of a REST route). */
  observeOperation(
    name: string | null | undefined,
    type: string,
    source: OperationSource,
    seconds: number,
  ): void {
    let operation = name ? name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64) : 'anonymous';
    if (!this.operationNames.has(operation)) {
      if (this.operationNames.size >= MAX_OPERATION_NAMES) operation = 'other';
      else this.operationNames.add(operation);
    }
    this.operationDuration.observe({ operation, type, source }, Math.max(0, seconds));
  }

  /** One batch of the ledger's posting engine (LedgerService.observeBatches). */
  observeLedgerBatch(b: LedgerBatchObservation): void {
    this.ledgerBatchSize.observe(b.size);
    this.ledgerBatchDuration.observe(Math.max(0, b.seconds));
    if (b.committed) this.ledgerPostings.inc({ outcome: 'committed' }, b.committed);
    if (b.rejected) this.ledgerPostings.inc({ outcome: 'rejected' }, b.rejected);
    if (b.failed) this.ledgerPostings.inc({ outcome: 'failed' }, b.failed);
    if (b.transactions) this.ledgerTransactions.inc(b.transactions);
  }

  /**
   * Runs `collect` on every scrape before rendering, so a module can keep its own gauges in `registry`
   * current (hot-wallet balances, say). A failing collector is logged; the scrape still answers.
   */
  onScrape(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  /** The exposition text, after reading the database and the queues once (concurrent scrapes share it). */
  async render(): Promise<string> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
    return this.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const [pg, redis, ...collected] = await Promise.allSettled([
      this.refreshDatabase(),
      this.refreshQueues(),
      ...this.collectors.map((c) => c()),
    ]);
    for (const r of collected) {
      if (r.status === 'rejected')
        this.deps.log.warn({ err: (r.reason as Error).message }, 'metrics: a collector failed');
    }
    for (const [source, result] of [
      ['postgres', pg],
      ['redis', redis],
    ] as const) {
      this.sourceUp.set({ source }, result.status === 'fulfilled' ? 1 : 0);
      if (result.status === 'rejected')
        this.deps.log.warn({ err: (result.reason as Error).message, source }, 'metrics: source unavailable');
    }
  }

  private async refreshDatabase(): Promise<void> {
    const { pool } = this.deps;
    try {
      const [summary, scanners, attempts] = await Promise.all([
        pool.query<{
          outbox_backlog: number;
          outbox_oldest_seconds: number | null;
          webhook_pending: number;
          endpoints_failing: number;
          endpoints_disabled: number;
        }>(
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
        ),
        scannerStatus(pool),
        // Only rows past the last one counted: an index range scan on the primary key.
        pool.query<{ max_id: bigint | null; success: number; http_error: number; network_error: number }>(
          `select max(id) as max_id,
                  (count(*) filter (where error is null))::int as success,
                  (count(*) filter (where error is not null and status_code is not null))::int as http_error,
                  (count(*) filter (where error is not null and status_code is null))::int as network_error
           from webhook_attempts where id > $1`,
          [this.attemptsSeen.toString()],
        ),
      ]);
      const s = summary.rows[0]!;
      this.outboxBacklog.set(s.outbox_backlog);
      this.outboxOldest.set(Math.max(0, s.outbox_oldest_seconds ?? 0));
      this.webhookPending.set(s.webhook_pending);
      this.webhookEndpoints.set({ state: 'failing' }, s.endpoints_failing);
      this.webhookEndpoints.set({ state: 'disabled' }, s.endpoints_disabled);

      this.scannerHead.reset();
      this.scannerCursor.reset();
      this.scannerLagBlocks.reset();
      this.scannerLagSeconds.reset();
      for (const c of scanners) {
        const chain = { chain: c.chain };
        this.scannerCursor.set(chain, c.cursorBlock);
        if (c.headBlock !== null) this.scannerHead.set(chain, c.headBlock);
        if (c.lagBlocks !== null) this.scannerLagBlocks.set(chain, c.lagBlocks);
        if (c.lagSeconds !== null) this.scannerLagSeconds.set(chain, c.lagSeconds);
      }

      const a = attempts.rows[0]!;
      if (a.max_id !== null && a.max_id > this.attemptsSeen) {
        this.attemptsSeen = a.max_id;
        for (const outcome of ATTEMPT_OUTCOMES) this.webhookAttempts.inc({ outcome }, a[outcome]);
      }
    } catch (err) {
      for (const g of [
        this.outboxBacklog,
        this.outboxOldest,
        this.webhookPending,
        this.webhookEndpoints,
        this.scannerHead,
        this.scannerCursor,
        this.scannerLagBlocks,
        this.scannerLagSeconds,
      ])
        g.reset();
      throw err;
    }
  }

  private async refreshQueues(): Promise<void> {
    const timeoutMs = this.deps.redisTimeoutMs ?? 3000;
    try {
      const read = await Promise.all(
        this.deps.queues.map(async (q) => {
          const [counts, paused, oldest] = await Promise.all([
            queueCounts(q, timeoutMs),
            withTimeout(q.isPaused(), timeoutMs, `queue ${q.name}`),
            oldestWaitingAge(q, timeoutMs, Date.now(), PRIORITIZED_SAMPLE),
          ]);
          return { queue: q.name, counts, paused, oldest };
        }),
      );
      for (const { queue, counts, paused, oldest } of read) {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, counts[state]);
        this.queuePaused.set({ queue }, paused ? 1 : 0);
        this.queueOldest.set({ queue }, oldest ?? 0);
      }
    } catch (err) {
      this.queueJobs.reset();
      this.queuePaused.reset();
      this.queueOldest.reset();
      throw err;
    }
  }
}
