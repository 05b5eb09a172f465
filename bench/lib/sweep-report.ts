import os from 'node:os';
import type { CpuSplit } from './cpu.js';
import { int, ms, serverLogSummary, table } from './report.js';
import type { BareSweep } from './sweep-baseline.js';
import type { OursMilestones, OursPhase } from './sweep-ours.js';

// The sweep benchmark's report (bench/sweep.ts): per stage, when the last of the N sweeps got there and what
// rate that is, for ours and for the bare loop of the same RPCs; then where the passes spent their time, the
// RPCs, the CPU and the checks.

export interface SweepChecks {
  /** Deposit addresses still holding tokens after the run (ours). */
  leftOnDeposits: number;
  hotTokenUnits: bigint;
  expectedUnits: bigint;
  reconciliationDifferences: number;
  baselineSwept: number;
}

/** What differs between the chains' reports. */
export interface SweepLabels {
  /** The first stage of the bare loop: gas or energy estimated. */
  estimate: string;
  /** How top-ups go out (Disperse batches, one transfer each). */
  topup: string;
  /** How the set-up paid the deposits. */
  setup: string;
  /** How the bare loop waits for blocks. */
  bareWait: string;
}

export interface SweepRun {
  labels: SweepLabels;
  n: number;
  blockMs: number;
  maxPerPass: number;
  maxOpen: number;
  confirmations: number;
  setupSeconds: { deposits: number; funding: number; credit: number };
  bare: BareSweep;
  ours: OursPhase;
  stages: OursMilestones;
  checks: SweepChecks;
  scheduled: number;
  logLines: string[];
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
/** A rate: whole numbers from 100 up, two decimals below (a few sweeps per second is the expected range). */
const rate = (n: number) => (n >= 100 ? int(n) : f2(n));

export function cpuLine(c: CpuSplit): string {
  const other = Math.max(0, c.machine - c.generator - c.postgres - c.redis);
  return (
    `CPU busy ${f2(c.machine)} of ${os.availableParallelism()} cores: this process (app, devnet and bench on one event loop, and the devnet's own threads)` +
    ` ${f2(c.generator)}, PostgreSQL ${f2(c.postgres)}, Redis ${f2(c.redis)}, other (kernel, other processes) ${f2(other)}`
  );
}

function stageRows(r: SweepRun): string[][] {
  const { n, bare, stages } = r;
  const b = bare.milestones;
  const row = (label: string, ours: number, base: number) => [
    label,
    f2(ours),
    rate(n / ours),
    f2(base),
    rate(n / base),
    `${(base / ours).toFixed(2)}×`,
  ];
  return [
    row(`${r.labels.estimate} (bare) / sweeps planned (ours)`, stages.planned, b.estimated),
    row(`top-ups sent (${r.labels.topup})`, stages.toppedUp, b.toppedUp),
    row('sweep transfers sent', stages.sent, b.sent),
    row(
      `**end to end: ${r.confirmations} deep (bare) / completed and booked (ours)**`,
      stages.completed,
      b.confirmed,
    ),
  ];
}

function stepLines(o: OursPhase): string[] {
  const steps = o.timers
    .filter(([name]) => !name.startsWith('rpc '))
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 24);
  return table(
    ['step', 'calls', 'seconds', 'share of the time inside passes', 'ms per call'],
    steps.map(([name, v]) => [
      name,
      int(v.calls),
      f2(v.ms / 1000),
      `${((v.ms / o.passMs) * 100).toFixed(1)} %`,
      v.calls ? ms(v.ms / v.calls) : 'n/a',
    ]),
  );
}

export function report(r: SweepRun): string[] {
  const { n, bare, ours, stages, checks: c } = r;
  const rpcs = ours.timers.filter(([x]) => x.startsWith('rpc ')).sort((a, b) => b[1].calls - a[1].calls);
  const oursRpc = rpcs.reduce((a, [, v]) => a + v.calls, 0);
  const bareRpc = Object.values(bare.rpcCalls).reduce((a, v) => a + v, 0);
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ');
  const m = stages.median;
  return [
    ...table(
      [
        'stage',
        'ours: last of N at (s)',
        'ours sweeps/s',
        'bare loop: last at (s)',
        'bare sweeps/s',
        'ours / bare',
      ],
      stageRows(r),
    ),
    '',
    `- end to end: ours ${f2(n / stages.completed)} sweeps/s against ${f2(n / bare.milestones.confirmed)}/s for the` +
      ` bare loop (${(bare.milestones.confirmed / stages.completed).toFixed(2)}×). Ours starts at most` +
      ` ${int(r.maxPerPass)} sweeps a pass (SWEEP_MAX_PER_PASS) while fewer than ${int(r.maxOpen)} are open` +
      ` (SWEEP_MAX_OPEN), each open until it is ${r.confirmations} deep; the bare loop sends all ${int(n)} at once.` +
      ` A sweep needs at least ~${f2(((r.confirmations + 2) * r.blockMs) / 1000)} s (${r.confirmations}` +
      ` confirmations of ${int(r.blockMs)} ms blocks, its top-up's block and its own)`,
    `- median per sweep (ours): planned → top-up sent ${f2(m.planToTopup)} s, top-up sent → sweep sent` +
      ` ${f2(m.topupToSent)} s, sweep sent → completed and booked ${f2(m.sentToCompleted)} s; bare: top-ups mined` +
      ` ${f2(bare.milestones.fundedMined - bare.milestones.toppedUp)} s after the last was sent`,
    `- ours: ${int(ours.passes.length)} passes (${int(ours.idleWaits)} waited for the next block first),` +
      ` ${f2(ours.passMs / 1000)} s inside passes of ${f2(ours.seconds)} s; ${int(stages.topupTransactions)} top-up` +
      ` transactions (bare ${int(bare.topups)}); ${int(stages.completedSweeps)} sweeps completed,` +
      ` ${int(stages.failedSweeps)} failed and planned again`,
    `- RPCs: ours ${int(oursRpc)} = ${f2(oursRpc / n)} per sweep (${rpcs.map(([x, v]) => `${x.slice(4)} ${int(v.calls)}`).join(', ')});` +
      ` bare ${int(bareRpc)} = ${f2(bareRpc / n)} per sweep (${fmt(bare.rpcCalls)}; ${r.labels.bareWait})`,
    '',
    `ours, where the time inside the passes went (timers around the sweeper's steps, its store, chain side and hot` +
      ' wallet; wall time, nested steps overlap):',
    '',
    ...stepLines(ours),
    '',
    `- bare loop ${cpuLine(bare.cpu)}`,
    `- ours ${cpuLine(ours.cpu)}`,
    '',
    `- set-up (not timed): ${int(n)} deposits created in ${f2(r.setupSeconds.deposits)} s, 2 × ${int(n)} addresses` +
      ` funded with 1 USDT (${r.labels.setup}) in ${f2(r.setupSeconds.funding)} s, ours` +
      ` credited by the scanner in ${f2(r.setupSeconds.credit)} s`,
    `- checks: deposit addresses still holding tokens ${int(c.leftOnDeposits)} of ${int(n)}; the hot wallet holds` +
      ` ${c.hotTokenUnits} token units (expected ${c.expectedUnits}); reconciliation differences` +
      ` ${int(c.reconciliationDifferences)}; bare loop: ${int(c.baselineSwept)} of ${int(n)} keys emptied`,
    `- scheduled passes (the sweep queue's start-up pass and scheduler) turned away while the bench drove: ${int(r.scheduled)}`,
    `- app log at warn: ${r.logLines.length ? `${r.logLines.length} lines` : 'nothing'}`,
    ...serverLogSummary(r.logLines),
  ];
}
