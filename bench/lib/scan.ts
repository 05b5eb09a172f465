import type { App } from '../../src/app.js';
import { outboxDrained } from './db.js';
import { userId } from './fixtures.js';
import { forEachConcurrent } from './load.js';
import { log } from './proc.js';
import { int } from './report.js';

// What the deposit-scanner benchmarks (scan-tron, scan-evm) share: a seeded random source, deposit set-up,
// the credited count they poll, and the read-only checks after the run.

/** Deposits created at once during set-up (in-process service calls). */
export const CREATE_CONCURRENCY = 16;

/** mulberry32: the same chain on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** n deposits of 1 USDT on `network` (test mode) for users 0…n−1; their addresses in order. */
export async function createDeposits(
  app: App,
  merchantId: string,
  n: number,
  network: string,
): Promise<string[]> {
  const out = new Array<string>(n);
  await forEachConcurrent(n, CREATE_CONCURRENCY, async (i) => {
    const d = await app.services.deposits.create(
      { merchantId, mode: 'test' },
      { userId: userId(i), amount: '1', currency: 'USDT', network },
    );
    out[i] = d.depositAddress;
    if ((i + 1) % 2000 === 0) log(`  ${int(i + 1)} deposits created`);
  });
  return out;
}

export async function creditedCount(app: App, chain: string): Promise<number> {
  const r = await app.pool.query<{ n: number }>(
    `select count(*)::int as n from chain_transfers where chain = $1 and status = 'credited'`,
    [chain],
  );
  return r.rows[0]!.n;
}

export interface ScanChecks {
  transfers: Record<string, number>;
  deposits: Record<string, number>;
  ledgerDeposits: number;
  creditedStars: string;
  unexpected: number;
  balanceSum: string;
  confirmedEvents: number;
  /** Events the relay had not published yet when the catch-up ended (a snapshot: it publishes meanwhile). */
  unpublished: number;
  /** Milliseconds from that snapshot until every event was published; null if some were still left after 30 s. */
  drainedMs: number | null;
}

/** The report's words for ScanChecks' unpublished and drainedMs. */
export function outboxLine(c: { unpublished: number; drainedMs: number | null }): string {
  if (c.unpublished === 0) return '0 unpublished when checked';
  return c.drainedMs === null
    ? `${c.unpublished.toLocaleString('en-US')} unpublished when checked, STILL UNPUBLISHED 30 s later`
    : `${c.unpublished.toLocaleString('en-US')} unpublished when checked, all published ${Math.round(c.drainedMs)} ms later`;
}

/** After a run: transfers and deposits by status, what the ledger and the outbox hold. */
export async function scanChecks(app: App, chain: string): Promise<ScanChecks> {
  const q = async (sql: string, params: unknown[] = []) => (await app.pool.query(sql, params)).rows;
  const byStatus = async (sql: string) =>
    Object.fromEntries((await q(sql, [chain])).map((r: any) => [r.status, Number(r.n)]));
  return {
    transfers: await byStatus(
      'select status, count(*) as n from chain_transfers where chain = $1 group by status',
    ),
    deposits: await byStatus('select status, count(*) as n from deposits where chain = $1 group by status'),
    ledgerDeposits: (await q(`select count(*)::int as n from ledger_transactions where type = 'deposit'`))[0]
      .n,
    creditedStars: (
      await q('select coalesce(sum(credited_stars_minor), 0)::text as s from chain_transfers')
    )[0].s,
    unexpected: (await q('select count(*)::int as n from unexpected_funds'))[0].n,
    balanceSum: (await q('select coalesce(sum(balance_minor), 0)::text as s from accounts'))[0].s,
    confirmedEvents: (await q(`select count(*)::int as n from events where type = 'deposit.confirmed'`))[0].n,
    unpublished: (await q('select count(*)::int as n from events where published_at is null'))[0].n,
    drainedMs: await outboxDrained(new URL(app.config.databaseUrl).pathname.slice(1), 30_000),
  };
}
