import type { Queue } from 'bullmq';
import type { Pool } from '../db/database.js';
import { NotFoundError } from '../lib/errors.js';
import { type TreasuryNetworkStatus, treasuryStatus } from '../modules/treasury/index.js';
import type { OpsMetrics } from './metrics.js';
import { type QueueStatus, queueStatus } from './queue-status.js';

export {
  type FailedJob,
  oldestWaitingAge,
  type QueueCounts,
  type QueueStatus,
  queueCounts,
  withTimeout,
} from './queue-status.js';

// What an operator asks "is everything flowing?": job queues (Redis), chain scanners and the webhook backlog
// (PostgreSQL). Every query here is cheap: queue counts are O(1) in Redis, the backlog reads only pending
// deliveries (a partial index), chain_cursors has a row per chain. Shared by /metrics and the GraphQL `ops`
// field.

export interface OpsDeps {
  pool: Pool;
  queues: readonly Queue[];
  /** A Redis call that takes longer than this fails (the queue connection otherwise waits out an outage). */
  redisTimeoutMs?: number;
  /** Picks up queues that appeared since (a hot wallet a worker registered); called before each status. */
  refresh?: () => Promise<void>;
  /** This process's Prometheus metrics (src/ops/metrics.ts), for the code paths that observe into them. */
  metrics?: OpsMetrics;
}

export interface ScannerStatus {
  chain: string;
  /** The newest block the scanner has seen (null before its first pass). */
  headBlock: number | null;
  /** The next block to scan. */
  cursorBlock: number;
  /** Blocks seen but not yet scanned: head − cursor + 1 (0 when caught up). */
  lagBlocks: number | null;
  /** Seconds since the scanner last read the chain head (grows when the scanner stalls). */
  lagSeconds: number | null;
  headSeenAt: Date | null;
  updatedAt: Date;
}

export interface WebhookBacklog {
  endpointId: string;
  merchantId: string;
  mode: string;
  url: string;
  /** enabled | disabled */
  status: string;
  failingSince: Date | null;
  /** Deliveries not yet succeeded or given up. */
  pending: number;
  /** Of those, the ones whose next attempt is due now. */
  due: number;
  oldestPendingAgeSeconds: number;
}

export interface HotWalletStatus {
  key: string;
  family: string;
  address: string;
  networks: string[];
  /** Base units as text: `native` (sun, wei) and `token` per network, as the worker last read them. */
  balances: { native?: string; token?: Record<string, string> };
  /** Why payouts wait (short of token or fees), or a refused broadcast; null when all is well. */
  alert: string | null;
  checkedAt: Date | null;
  /** Payouts signed or sent but not yet in a block / in a block but not yet final. */
  inFlight: number;
  confirming: number;
}

export interface OpsStatus {
  at: Date;
  queues: QueueStatus[];
  scanners: ScannerStatus[];
  webhookBacklog: WebhookBacklog[];
  hotWallets: HotWalletStatus[];
  /** Per network and mode: custody by the books, sweeps, fees, the last reconciliation (docs/treasury.md). */
  treasury: TreasuryNetworkStatus[];
}

export async function scannerStatus(pool: Pool): Promise<ScannerStatus[]> {
  const r = await pool.query<{
    chain: string;
    next_block: bigint;
    head_block: bigint | null;
    head_seen_at: Date | null;
    updated_at: Date;
    head_age_seconds: number | null;
  }>(
    `select chain, next_block, head_block, head_seen_at, updated_at,
            extract(epoch from now() - head_seen_at)::float8 as head_age_seconds
     from chain_cursors order by chain`,
  );
  return r.rows.map((row) => {
    const head = row.head_block === null ? null : Number(row.head_block);
    const cursor = Number(row.next_block);
    return {
      chain: row.chain,
      headBlock: head,
      cursorBlock: cursor,
      lagBlocks: head === null ? null : Math.max(0, head - cursor + 1),
      lagSeconds: row.head_age_seconds === null ? null : Math.max(0, row.head_age_seconds),
      headSeenAt: row.head_seen_at,
      updatedAt: row.updated_at,
    };
  });
}

export async function hotWalletStatus(pool: Pool): Promise<HotWalletStatus[]> {
  const r = await pool.query<{
    key: string;
    family: string;
    address: string;
    networks: string[];
    balances: HotWalletStatus['balances'];
    alert: string | null;
    checked_at: Date | null;
    in_flight: number;
    confirming: number;
  }>(
    `select h.key, h.family, h.address, h.networks, h.balances, h.alert, h.checked_at,
            (count(w.id) filter (where w.payout_state in ('signed', 'broadcast')))::int as in_flight,
            (count(w.id) filter (where w.payout_state = 'confirming'))::int as confirming
     from hot_wallets h left join withdrawals w on w.wallet_key = h.key and w.status = 'processing'
     group by h.key order by h.key`,
  );
  return r.rows.map((row) => ({
    key: row.key,
    family: row.family,
    address: row.address,
    networks: row.networks,
    balances: row.balances,
    alert: row.alert,
    checkedAt: row.checked_at,
    inFlight: row.in_flight,
    confirming: row.confirming,
  }));
}

export async function webhookBacklog(pool: Pool, limit = 100): Promise<WebhookBacklog[]> {
  const r = await pool.query<{
    endpoint_id: string;
    merchant_id: string;
    mode: string;
    url: string;
    status: string;
    failing_since: Date | null;
    pending: number;
    due: number;
    oldest_age_seconds: number;
  }>(
    `select d.endpoint_id, w.merchant_id, w.mode, w.url, w.status, w.failing_since,
            count(*)::int as pending,
            (count(*) filter (where d.next_attempt_at <= now()))::int as due,
            extract(epoch from now() - min(d.created_at))::float8 as oldest_age_seconds
     from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id
     where d.status = 'pending'
     group by d.endpoint_id, w.merchant_id, w.mode, w.url, w.status, w.failing_since
     order by pending desc, d.endpoint_id
     limit $1`,
    [limit],
  );
  return r.rows.map((row) => ({
    endpointId: row.endpoint_id,
    merchantId: row.merchant_id,
    mode: row.mode,
    url: row.url,
    status: row.status,
    failingSince: row.failing_since,
    pending: row.pending,
    due: row.due,
    oldestPendingAgeSeconds: Math.max(0, row.oldest_age_seconds),
  }));
}

/**
 * Per-queue counts, oldest waiting age and recent failures; per-chain scanner head, cursor and lag; the
 * webhook backlog per endpoint. A queue Redis does not answer is reported with its `error`, not thrown;
 * PostgreSQL errors are thrown.
 */
export async function opsStatus(
  deps: OpsDeps,
  opts: { failedLimit?: number; backlogLimit?: number } = {},
): Promise<OpsStatus> {
  const timeoutMs = deps.redisTimeoutMs ?? 3000;
  await deps.refresh?.();
  const [queues, scanners, backlog, hotWallets, treasury] = await Promise.all([
    Promise.all(deps.queues.map((q) => queueStatus(q, opts.failedLimit ?? 20, timeoutMs))),
    scannerStatus(deps.pool),
    webhookBacklog(deps.pool, opts.backlogLimit ?? 100),
    hotWalletStatus(deps.pool),
    treasuryStatus(deps.pool),
  ]);
  return { at: new Date(), queues, scanners, webhookBacklog: backlog, hotWallets, treasury };
}

/**
 * The queue `ops` lists under that name. A hot wallet's payout queue registered since this process last looked
 * (another API process may have listed it to the portal) is picked up first; a name nobody has is `not_found`.
 */
async function queueNamed(deps: OpsDeps, name: string): Promise<Queue> {
  let q = deps.queues.find((x) => x.name === name);
  if (!q && deps.refresh) {
    await deps.refresh();
    q = deps.queues.find((x) => x.name === name);
  }
  if (!q) throw new NotFoundError('Queue', name, 'queue');
  return q;
}

/** Retries one failed job; false when there is no such job or it is not failed. */
export async function retryJob(deps: OpsDeps, queueName: string, jobId: string): Promise<boolean> {
  const job = await (await queueNamed(deps, queueName)).getJob(jobId);
  if (!job || (await job.getState()) !== 'failed') return false;
  await job.retry('failed');
  return true;
}

/** Moves every failed job of a queue back to waiting; returns how many were failed. */
export async function retryAllFailed(deps: OpsDeps, queueName: string): Promise<number> {
  const q = await queueNamed(deps, queueName);
  const failed = await q.getJobCountByTypes('failed');
  if (failed > 0) await q.retryJobs({ state: 'failed', count: 1000 });
  return failed;
}
