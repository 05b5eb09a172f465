import { AsyncLocalStorage } from 'node:async_hooks';
import { JsonRpcProvider } from 'ethers';
import type { App } from '../../src/app.js';
import { emptyPassResult, type Sweeper, type SweepPassResult } from '../../src/modules/treasury/index.js';
import { type CpuSplit, cpuMeter } from './cpu.js';
import { MethodTimers } from './method-timers.js';
import { log, sleep } from './proc.js';
import { int } from './report.js';

// The sweep benchmark's measured side (bench/sweep.ts): the app's own Sweeper for ERC20 test mode, driven by the
// bench (scheduled passes of the sweep queue are turned away while it drives), with timers around its steps,
// the store (the database), the chain side and the hot wallet, and every JSON-RPC call (nothing in src/
// changes). Stage times come afterwards from the rows themselves: when each sweep was planned, when its top-up
// and its own transaction were sent, when it was completed and booked.

const PHASE_MAX_MS = 30 * 60_000;

export interface Probe {
  t: MethodTimers;
  als: AsyncLocalStorage<true>;
  /** Passes of the queue (the start-up pass, the scheduler) turned away while the bench drove. */
  scheduled: number;
}

/** Times an RPC-making method of `obj` as "RPC (any)" and "rpc <name>", inside the bench's passes only. */
function timeRpc(probe: Probe, obj: any, method: string, name: (args: any[]) => string): void {
  const orig = obj[method] as (...args: any[]) => Promise<unknown>;
  obj[method] = async function (this: unknown, ...args: any[]) {
    if (!probe.t.active || probe.als.getStore() !== true) return orig.apply(this, args);
    const done = [probe.t.start('RPC (any)'), probe.t.start(`rpc ${name(args)}`)];
    try {
      return await orig.apply(this, args);
    } finally {
      for (const d of done) d();
    }
  };
}

export function instrument(sweeper: Sweeper, family: 'evm' | 'tron'): Probe {
  const t = new MethodTimers();
  const probe: Probe = { t, als: new AsyncLocalStorage<true>(), scheduled: 0 };
  const s = sweeper as any;
  const pass = s.pass.bind(s) as Sweeper['pass'];
  s.pass = async (opts?: { address?: string }): Promise<SweepPassResult> => {
    if (probe.als.getStore() === true) return pass(opts);
    probe.scheduled++;
    return { ...emptyPassResult(), skipped: true };
  };
  t.wrap(s, 'follow', 'pass: follow open transactions (settle, book)');
  t.wrap(s, 'signReady', 'pass: sign and send funded sweeps');
  t.wrap(s, 'send', 'send (store, broadcast)');
  const { store, chain, wallet } = s.deps;
  const methods = (o: object) =>
    Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter(
      (m) => m !== 'constructor' && typeof (o as any)[m] === 'function',
    );
  for (const m of methods(store)) t.wrap(store, m, `store.${m}`);
  for (const m of ['balances', 'sweepCost', 'stillCovered', 'chainNonce', 'prepareTopUp', 'prepareSweep'])
    t.wrap(chain, m, `chain.${m}`);
  for (const m of ['balances', 'fees', 'lookup', 'isDead', 'broadcast', 'headBlock', 'chainNonce'])
    if (typeof wallet[m] === 'function') t.wrap(wallet, m, `wallet.${m}`);
  if (family === 'evm') {
    // Every JSON-RPC request of the sweeper's providers (the chain side's and the hot wallet's).
    timeRpc(probe, JsonRpcProvider.prototype, 'send', (args) => String(args[0]));
  } else {
    // The TRON side calls the node through the hot wallet: HTTP posts, and tronweb calls named by guard().
    timeRpc(probe, wallet, 'post', (args) => String(args[0]));
    timeRpc(probe, wallet, 'guard', (args) => String(args[0]));
  }
  return probe;
}

export interface PassLine extends SweepPassResult {
  ms: number;
}

export interface OursPhase {
  seconds: number;
  /** When the phase started (wall clock), to place the rows' timestamps. */
  startedAt: number;
  passes: PassLine[];
  passMs: number;
  /** Idle waits for the next block (a pass that did nothing waits for the head to move). */
  idleWaits: number;
  timers: [string, { calls: number; ms: number }][];
  cpu: CpuSplit;
}

const completed = async (app: App, chain: string) =>
  (
    await app.pool.query<{ n: number }>(
      `select count(*)::int as n from sweeps where chain = $1 and kind = 'sweep' and status = 'completed'`,
      [chain],
    )
  ).rows[0]!.n;

/**
 * Passes back to back until `n` sweeps are completed; a pass that did nothing waits for the next block first (a
 * pass per block when there is nothing to do, as a pass per SWEEP_INTERVAL_MS would be on a chain whose blocks
 * come that often).
 */
export async function runOurs(
  app: App,
  sweeper: Sweeper,
  probe: Probe,
  head: () => Promise<number> | number,
  n: number,
): Promise<OursPhase> {
  const passes: PassLine[] = [];
  let idleWaits = 0;
  probe.t.reset();
  probe.t.active = true;
  const cpuDone = cpuMeter();
  const startedAt = Date.now();
  const t0 = performance.now();
  try {
    let done = 0;
    while (done < n) {
      if (performance.now() - t0 > PHASE_MAX_MS)
        throw new Error(`sweeps unfinished after ${passes.length} passes: ${done}/${n} completed`);
      const at = await head();
      const p0 = performance.now();
      const r = await probe.als.run(true, () => sweeper.pass());
      if (r.skipped) {
        await sleep(20); // a reconciliation holds the network's lock
        continue;
      }
      passes.push({ ...r, ms: performance.now() - p0 });
      done = await completed(app, sweeper.chainKey);
      if (passes.length % 20 === 0) log(`  pass ${passes.length}: ${int(done)}/${int(n)} completed`);
      if (r.planned + r.toppedUp + r.signed + r.completed + r.failed > 0) continue;
      idleWaits++;
      while ((await head()) === at) await sleep(10);
    }
  } finally {
    probe.t.active = false;
  }
  return {
    seconds: (performance.now() - t0) / 1000,
    startedAt,
    passes,
    passMs: passes.reduce((a, p) => a + p.ms, 0),
    idleWaits,
    timers: probe.t.entries(),
    cpu: cpuDone(),
  };
}

/** Seconds from the phase's start at which the last completed sweep reached each step, and median step times. */
export interface OursMilestones {
  planned: number;
  toppedUp: number;
  sent: number;
  completed: number;
  median: { planToTopup: number; topupToSent: number; sentToCompleted: number };
  completedSweeps: number;
  failedSweeps: number;
  topupTransactions: number;
}

export async function milestones(app: App, chain: string, startedAt: number): Promise<OursMilestones> {
  const rows = (
    await app.pool.query<{ planned: Date; topup: Date | null; sent: Date; completed: Date }>(
      `select s.created_at as planned, t.broadcast_at as topup, x.broadcast_at as sent, s.completed_at as completed
       from sweeps s left join treasury_transactions t on t.id = s.topup_tx_id join treasury_transactions x on x.id = s.tx_id
       where s.chain = $1 and s.kind = 'sweep' and s.status = 'completed'`,
      [chain],
    )
  ).rows;
  const counts = (
    await app.pool.query<{ failed: number; topups: number }>(
      `select (select count(*)::int from sweeps where chain = $1 and status = 'failed') as failed,
              (select count(*)::int from treasury_transactions where chain = $1 and kind = 'topup') as topups`,
      [chain],
    )
  ).rows[0]!;
  const sec = (d: Date | null) => (d ? (d.getTime() - startedAt) / 1000 : Number.NaN);
  const last = (f: (r: (typeof rows)[number]) => Date | null) => Math.max(...rows.map((r) => sec(f(r))));
  const median = (xs: number[]) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
  };
  return {
    planned: last((r) => r.planned),
    toppedUp: last((r) => r.topup ?? r.planned),
    sent: last((r) => r.sent),
    completed: last((r) => r.completed),
    median: {
      planToTopup: median(rows.map((r) => sec(r.topup) - sec(r.planned))),
      topupToSent: median(rows.map((r) => sec(r.sent) - sec(r.topup))),
      sentToCompleted: median(rows.map((r) => sec(r.completed) - sec(r.sent))),
    },
    completedSweeps: rows.length,
    failedSweeps: counts.failed,
    topupTransactions: counts.topups,
  };
}
