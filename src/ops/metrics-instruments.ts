import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

// The series OpsMetrics (metrics.ts) exposes: names, help, labels and buckets. They are registered in this
// order, which is the order of the exposition text.

/** Backlogs are counted up to this many rows, so a scrape stays cheap however far behind a consumer is. */
export const COUNT_CAP = 100_000;
/**
 * Operation names come from callers: at most this many distinct ones get their own series, later ones are
 * counted as `other`, so a client sending random names cannot grow the registry without bound.
 */
export const MAX_OPERATION_NAMES = 200;
export const ATTEMPT_OUTCOMES = ['success', 'http_error', 'network_error'] as const;
/** Seconds; from 5 ms to 10 s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds; GraphQL operations (REST routes run one each) from 1 ms to 10 s. */
const OPERATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Posting requests per ledger batch (LEDGER_MAX_BATCH is at most 1000). */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

type Registers = Registry[];

export type Instruments = ReturnType<typeof createInstruments>;

/** The default process metrics and every series of OpsMetrics, registered in `registry`. */
export function createInstruments(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  return {
    ...httpInstruments(registers),
    ...outboxInstruments(registers),
    ...queueInstruments(registers),
    ...scannerInstruments(registers),
    ...webhookInstruments(registers),
    ...operationInstruments(registers),
    ...ledgerInstruments(registers),
    ...maintenanceInstruments(registers),
    ...sourceInstruments(registers),
  };
}

function httpInstruments(registers: Registers) {
  return {
    httpDuration: new Histogram<'method' | 'route' | 'status'>({
      name: 'novapay_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern (never the raw URL) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
  };
}

function outboxInstruments(registers: Registers) {
  return {
    outboxBacklog: new Gauge({
      name: 'novapay_outbox_backlog',
      help: `Events not yet published by the outbox relay (counted up to ${COUNT_CAP})`,
      registers,
    }),
    outboxOldest: new Gauge({
      name: 'novapay_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest unpublished event (0 when none)',
      registers,
    }),
  };
}

function queueInstruments(registers: Registers) {
  return {
    queueJobs: new Gauge<'queue' | 'state'>({
      name: 'novapay_queue_jobs',
      help: 'Jobs per queue and state; waiting includes prioritized jobs',
      labelNames: ['queue', 'state'],
      registers,
    }),
    queueFailedUnresolved: new Gauge<'queue'>({
      name: 'novapay_queue_failed_unresolved_jobs',
      help: 'Failed jobs per queue, but the runs of a job scheduler a later run of the same schedule completed after',
      labelNames: ['queue'],
      registers,
    }),
    queuePaused: new Gauge<'queue'>({
      name: 'novapay_queue_paused',
      help: '1 when the queue is paused',
      labelNames: ['queue'],
      registers,
    }),
    queueOldest: new Gauge<'queue'>({
      name: 'novapay_queue_oldest_waiting_seconds',
      help: 'How long the oldest waiting job has waited (0 when none)',
      labelNames: ['queue'],
      registers,
    }),
  };
}

function scannerInstruments(registers: Registers) {
  return {
    scannerHead: new Gauge<'chain'>({
      name: 'novapay_scanner_head_block',
      help: 'Newest block the chain scanner has seen',
      labelNames: ['chain'],
      registers,
    }),
    scannerCursor: new Gauge<'chain'>({
      name: 'novapay_scanner_next_block',
      help: 'Next block the chain scanner will scan',
      labelNames: ['chain'],
      registers,
    }),
    scannerLagBlocks: new Gauge<'chain'>({
      name: 'novapay_scanner_lag_blocks',
      help: 'Blocks seen but not yet scanned (head − next + 1)',
      labelNames: ['chain'],
      registers,
    }),
    scannerLagSeconds: new Gauge<'chain'>({
      name: 'novapay_scanner_lag_seconds',
      help: 'Seconds since the chain scanner last read the chain head (grows when it stalls)',
      labelNames: ['chain'],
      registers,
    }),
  };
}

function webhookInstruments(registers: Registers) {
  const webhookPending = new Gauge({
    name: 'novapay_webhook_deliveries_pending',
    help: `Webhook deliveries neither succeeded nor given up (counted up to ${COUNT_CAP})`,
    registers,
  });
  const webhookEndpoints = new Gauge<'state'>({
    name: 'novapay_webhook_endpoints',
    help: 'Webhook endpoints currently failing (enabled, last attempt failed) or disabled',
    labelNames: ['state'],
    registers,
  });
  const webhookAttempts = new Counter<'outcome'>({
    name: 'novapay_webhook_attempts_total',
    help: 'Webhook delivery attempts since this process started, by outcome (all instances of the deployment)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ATTEMPT_OUTCOMES) webhookAttempts.inc({ outcome }, 0);
  return { webhookPending, webhookEndpoints, webhookAttempts };
}

function operationInstruments(registers: Registers) {
  return {
    operationDuration: new Histogram<'operation' | 'type' | 'source'>({
      name: 'novapay_graphql_operation_duration_seconds',
      help: `GraphQL execution time by operation name (anonymous when unnamed; beyond ${MAX_OPERATION_NAMES} names: other), type and source (graphql: /graphql, rest: the operation a /api/v1 route runs)`,
      labelNames: ['operation', 'type', 'source'],
      buckets: OPERATION_BUCKETS,
      registers,
    }),
  };
}

function ledgerInstruments(registers: Registers) {
  const ledgerPostings = new Counter<'outcome'>({
    name: 'novapay_ledger_postings_total',
    help: 'Ledger posting requests (transfers, adjustments, credits) by outcome: committed, rejected, failed',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ['committed', 'rejected', 'failed']) ledgerPostings.inc({ outcome }, 0);
  const ledgerTransactions = new Counter({
    name: 'novapay_ledger_transactions_total',
    help: 'Ledger transactions written by committed posting requests',
    registers,
  });
  const ledgerBatchSize = new Histogram({
    name: 'novapay_ledger_batch_size',
    help: 'Posting requests committed together in one database transaction by the ledger batcher',
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const ledgerBatchDuration = new Histogram({
    name: 'novapay_ledger_batch_duration_seconds',
    help: 'Time from a ledger batch starting to its commit (or failure)',
    buckets: HTTP_BUCKETS,
    registers,
  });
  return { ledgerPostings, ledgerTransactions, ledgerBatchSize, ledgerBatchDuration };
}

function maintenanceInstruments(registers: Registers) {
  return {
    idempotencyPurged: new Counter({
      name: 'novapay_idempotency_purged_total',
      help: 'Expired idempotency records deleted by the scheduled purge of this worker since it started',
      registers,
    }),
  };
}

function sourceInstruments(registers: Registers) {
  return {
    sourceUp: new Gauge<'source'>({
      name: 'novapay_metrics_source_up',
      help: '1 when the last scrape could read the source (postgres, redis); its series are absent otherwise',
      labelNames: ['source'],
      registers,
    }),
  };
}
