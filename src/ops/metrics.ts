import type { Queue } from 'bullmq';
import { type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import type { Pool } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import { createInstruments, type Instruments, MAX_OPERATION_NAMES } from './metrics-instruments.js';
import { latestAttemptId, refreshDatabase, refreshQueues } from './metrics-sources.js';

// Prometheus metrics of one process. Request durations are observed as requests finish; everything read
// from PostgreSQL or Redis (outbox backlog, queue depths, scanner lag, webhook outcomes) is read when
// Prometheus scrapes, with cheap queries only. Those are facts about the whole deployment, so every
// instance reports the same values: aggregate them with max(), not sum().
//
// The series themselves are defined in metrics-instruments.ts; what a scrape reads, in metrics-sources.ts.

export { COUNT_CAP, MAX_OPERATION_NAMES } from './metrics-instruments.js';

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
  private readonly i: Instruments;
  private readonly operationNames = new Set<string>();
  /** Extra collectors run on each scrape (e.g. hot-wallet balances), see `onScrape`. */
  private readonly collectors: (() => Promise<void>)[] = [];
  /** webhook_attempts rows up to this id are already counted. */
  private attemptsSeen = 0n;
  private refreshing: Promise<void> | null = null;
  private delegate: (() => Promise<string>) | null = null;

  private constructor(private readonly deps: MetricsDeps) {
    this.i = createInstruments(this.registry);
  }

  static async create(deps: MetricsDeps): Promise<OpsMetrics> {
    const m = new OpsMetrics(deps);
    // Attempts are counted from now on: a counter starts at zero, and the table may be long.
    m.attemptsSeen = await latestAttemptId(deps.pool);
    return m;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** `route` is Fastify's route pattern; requests that matched no route are labelled `unmatched`. */
  observeRequest(method: string, route: string | undefined, status: number, elapsedMs: number): void {
    this.i.httpDuration.observe(
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
    this.i.operationDuration.observe({ operation, type, source }, Math.max(0, seconds));
  }

  /** One batch of the ledger's posting engine (LedgerService.observeBatches). */
  observeLedgerBatch(b: LedgerBatchObservation): void {
    this.i.ledgerBatchSize.observe(b.size);
    this.i.ledgerBatchDuration.observe(Math.max(0, b.seconds));
    if (b.committed) this.i.ledgerPostings.inc({ outcome: 'committed' }, b.committed);
    if (b.rejected) this.i.ledgerPostings.inc({ outcome: 'rejected' }, b.rejected);
    if (b.failed) this.i.ledgerPostings.inc({ outcome: 'failed' }, b.failed);
    if (b.transactions) this.i.ledgerTransactions.inc(b.transactions);
  }

  /** One scheduled purge of expired idempotency records (jobs/maintenance.ts): how many it deleted. */
  observeIdempotencyPurge(purged: number): void {
    this.i.idempotencyPurged.inc(Math.max(0, purged));
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
    if (this.delegate) return this.delegate();
    await this.refreshOnce();
    return this.registry.metrics();
  }

  /**
   * In an API process of a cluster (src/cluster.ts) a scrape is answered by the primary for every process:
   * this process then never reads the database for its gauges, so the primary's reading is the only one.
   */
  delegateRender(render: () => Promise<string>): void {
    this.delegate = render;
  }

  /** This process's metrics as JSON, after a refresh (the primary's share of a cluster scrape). */
  async renderJson(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    await this.refreshOnce();
    return this.registry.getMetricsAsJSON();
  }

  /** As JSON without reading the database (an API process's share: its requests, operations, batches). */
  localJson(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  private async refreshOnce(): Promise<void> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
  }

  private async refresh(): Promise<void> {
    const [pg, redis, ...collected] = await Promise.allSettled([
      this.refreshDatabase(),
      refreshQueues(this.deps.queues, this.i, this.deps.redisTimeoutMs ?? 3000),
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
      this.i.sourceUp.set({ source }, result.status === 'fulfilled' ? 1 : 0);
      if (result.status === 'rejected')
        this.deps.log.warn({ err: (result.reason as Error).message, source }, 'metrics: source unavailable');
    }
  }

  private async refreshDatabase(): Promise<void> {
    this.attemptsSeen = await refreshDatabase(this.deps.pool, this.i, this.attemptsSeen);
  }
}
