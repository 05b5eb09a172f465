import type { App } from '../../src/app.js';
import { reconcileNetwork, type Sweeper, TreasuryService } from '../../src/modules/treasury/index.js';
import { checkpoint } from './db.js';
import { log, sleep } from './proc.js';
import { int, machineLines } from './report.js';
import { createDeposits, creditedCount } from './scan.js';
import type { BareSweep } from './sweep-baseline.js';
import { milestones, type Probe, runOurs } from './sweep-ours.js';
import { report, type SweepChecks, type SweepRun } from './sweep-report.js';

// What the sweep benchmarks of both chains share (bench/sweep.ts, bench/sweep-tron.ts): their sizes, the
// untimed set-up of N credited deposits (and N funded baseline addresses), the hot wallet's funding in the
// books, the measured phases in order (the bare loop, then ours, on one chain clock), and the checks.

/** 1 USDT (6 decimals on both chains): what each deposit asks for and receives. */
export const UNITS = 1_000_000n;

export function sweepSizes(defaultBlockMs: number): { n: number; blockMs: number } {
  const rawN = process.env.SWEEP_DEPOSITS ?? '500';
  const n = Number(rawN);
  if (!(Number.isInteger(n) && n >= 10 && n <= 5_000))
    throw new Error(`SWEEP_DEPOSITS must be 10-5000, not '${rawN}'`);
  const rawBlock = process.env.SWEEP_BLOCK_MS ?? String(defaultBlockMs);
  const blockMs = Number(rawBlock);
  if (!(Number.isInteger(blockMs) && blockMs >= 100 && blockMs <= 12_000))
    throw new Error(`SWEEP_BLOCK_MS must be 100-12000, not '${rawBlock}'`);
  return { n, blockMs };
}

/** A scanner pass of `chain` (another pass holding the chain's lock: try again). */
async function scanOnce(app: App, chain: string): Promise<void> {
  const scanner = app.workers?.scanning.scanners.get(chain);
  if (!scanner) throw new Error(`no scanner for ${chain}`);
  for (let i = 0; i < 500; i++) {
    if (!(await scanner.pass()).skipped) return;
    await sleep(20);
  }
  throw new Error('the scanner lock was never free');
}

export interface DepositSetUp {
  chain: string;
  network: string;
  n: number;
  /** The baseline's own addresses, paid like the deposits. */
  baseline: string[];
  /** Pays 1 USDT to each address and mines it. */
  pay: (addresses: string[]) => Promise<void>;
  mine: (blocks: number) => Promise<unknown> | unknown;
  confirmations: number;
}

/** N deposits created through DepositsService, paid, confirmed and credited by the scanner. */
export async function creditedDeposits(app: App, s: DepositSetUp) {
  const t0 = performance.now();
  const merchant = await app.services.merchants.createMerchant('Bench sweep');
  const addresses = await createDeposits(app, merchant.id, s.n, s.network);
  await s.mine(1);
  await scanOnce(app, s.chain); // the cursor now sits right after the current head
  const t1 = performance.now();
  log(`  ${int(s.n)} deposits created; paying them and the ${int(s.n)} baseline addresses`);
  await s.pay(addresses);
  await s.pay(s.baseline);
  await s.mine(s.confirmations);
  const t2 = performance.now();
  for (let i = 0; (await creditedCount(app, s.chain)) < s.n; i++) {
    if (i > 200) throw new Error(`only ${await creditedCount(app, s.chain)} of ${s.n} deposits credited`);
    await scanOnce(app, s.chain);
  }
  const t3 = performance.now();
  log(`  ${int(s.n)} deposits credited`);
  return {
    addresses,
    seconds: { deposits: (t1 - t0) / 1000, funding: (t2 - t1) / 1000, credit: (t3 - t2) / 1000 },
  };
}

/** Records what was put into the hot wallet (the chain's coin, and 1 USDT), so the books match the chain. */
export async function recordHotFunding(app: App, network: string, native: bigint): Promise<void> {
  const treasury = new TreasuryService(app.services.ledger);
  for (const [asset, amount] of [
    ['native', native],
    ['token', UNITS],
  ] as const)
    await treasury.recordFunding({
      network,
      mode: 'test',
      asset,
      to: 'hot',
      amount: String(amount),
      reference: `bench-sweep-${asset}`,
    });
}

export async function sweepChecks(c: {
  sweeper: Sweeper;
  addresses: string[];
  baseline: string[];
  hot: string;
  tokenOf: (address: string) => Promise<bigint> | bigint;
}): Promise<SweepChecks> {
  let left = 0;
  for (const a of c.addresses) if ((await c.tokenOf(a)) > 0n) left++;
  let baselineSwept = 0;
  for (const a of c.baseline) if ((await c.tokenOf(a)) === 0n) baselineSwept++;
  const recon = await reconcileNetwork(c.sweeper.deps);
  return {
    leftOnDeposits: left,
    hotTokenUnits: await c.tokenOf(c.hot),
    expectedUnits: UNITS * BigInt(c.addresses.length + 1), // and the 1 USDT it started with
    reconciliationDifferences: recon.filter((x) => x.difference !== 0n).length,
    baselineSwept,
  };
}

export interface Measure {
  app: App;
  sweeper: Sweeper;
  probe: Probe;
  n: number;
  blockMs: number;
  /** The chain's head block number. */
  head: () => Promise<number> | number;
  /** Starts and stops the chain's clock (a block every blockMs). */
  blocks: { start: () => Promise<void> | void; stop: () => Promise<void> | void };
  bare: () => Promise<BareSweep>;
}

/** The bare loop, then ours, on one chain clock; the stages of ours from its rows. */
export async function measure(m: Measure) {
  const { app, sweeper, probe, n } = m;
  await checkpoint();
  await m.blocks.start();
  try {
    log(`bare loop: ${int(n)} sweeps' RPCs, no database, a block every ${m.blockMs} ms`);
    const bare = await m.bare();
    log(`  ${(n / bare.seconds).toFixed(2)} sweeps/s end to end (${bare.seconds.toFixed(2)} s)`);
    await checkpoint();
    log(`ours: sweep passes until all ${int(n)} are completed and booked`);
    const ours = await runOurs(app, sweeper, probe, m.head, n);
    log(`  ${(n / ours.seconds).toFixed(2)} sweeps/s end to end (${ours.seconds.toFixed(2)} s)`);
    const stages = await milestones(app, sweeper.chainKey, ours.startedAt);
    return { bare, ours, stages };
  } finally {
    await m.blocks.stop();
  }
}

/** Prints the report on stdout: its title, the machine, the sizes, then the tables and lines of sweep-report.ts. */
export async function printReport(
  title: string,
  started: Date,
  sizesLine: string,
  run: SweepRun,
): Promise<void> {
  const lines = [
    `${title}, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...(await machineLines()),
    sizesLine,
    '',
    ...report(run),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}
