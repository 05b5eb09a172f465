import type { App } from '../../src/app.js';
import type { EvmDevnet } from '../../src/devnet/evm/index.js';
import type { PayoutProcessor, TickResult } from '../../src/modules/payouts/processor.js';
import { type CpuSplit, cpuMeter } from './cpu.js';
import {
  type CpuProfile,
  type ProfileSummary,
  saveProfile,
  startProfiler,
  summarizeProfile,
} from './cpu-profile.js';
import { type MinedBlock, MineLoop } from './payouts-chain.js';
import type { Probe } from './payouts-probe.js';
import { log, sleep } from './proc.js';
import { int } from './report.js';

// The measured phases of `npm run bench -- payouts` (bench/payouts.ts), ours: the payout worker's passes
// back to back until a condition holds, with what each pass and the phase cost.

const MAX_PASSES = 2_000;
const PHASE_MAX_MS = 10 * 60_000;

export interface PassLine {
  ms: number;
  sent: number;
  completed: number;
  open: number;
  dbMs: number;
  rpcMs: number;
  statements: number;
}

export interface Phase {
  seconds: number;
  passes: PassLine[];
  /** Cumulative timers of the phase. */
  timers: [string, { calls: number; ms: number }][];
  passMs: number;
  statements: number;
  commits: number;
  blocks: MinedBlock[];
  cpu: CpuSplit;
  /** Events written during the phase, by type (read before and after it, outside the timing). */
  events: Record<string, number>;
  /** Ledger batches run during the phase, and the items they carried. */
  ledger: { batches: number; items: number };
  /** PAYOUTS_CPU_PROF: where this process's main thread spent the send phase. */
  profile: ProfileSummary | null;
}

async function eventCounts(app: App): Promise<Record<string, number>> {
  const r = await app.pool.query<{ type: string; n: number }>(
    'select type, count(*)::int as n from events group by type',
  );
  return Object.fromEntries(r.rows.map((x) => [x.type, x.n]));
}

function ledgerStats(app: App): { batches: number; items: number } {
  const s = (app.services.ledger as any).batcher.stats as { batches: number; items: number };
  return { batches: s.batches, items: s.items };
}

export async function countState(app: App, ids: string[], states: string[]): Promise<number> {
  const r = await app.pool.query<{ n: number }>(
    'select count(*)::int as n from withdrawals where id = any($1) and payout_state = any($2)',
    [ids, states],
  );
  return r.rows[0]!.n;
}

type Done = () => Promise<{ ok: boolean; progress: string }>;

/** Passes back to back until `done()` says so; a pass turned away by a running one is retried. */
export async function passesUntil(
  app: App,
  processor: PayoutProcessor,
  probe: Probe,
  label: string,
  done: Done,
  chain: { devnet: EvmDevnet; blockMs: number } | null,
  profPath?: string,
): Promise<Phase> {
  const { t } = probe;
  const events0 = await eventCounts(app);
  const ledger0 = ledgerStats(app);
  const stopProfiler = profPath ? await startProfiler() : null;
  const loop = chain ? new MineLoop(chain.devnet, chain.blockMs).start() : null;
  t.reset();
  probe.statements = 0;
  probe.commits = 0;
  t.active = true;
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  let run: { passes: PassLine[]; passMs: number };
  try {
    run = await runPasses(processor, probe, label, done, t0);
  } catch (err) {
    await loop?.stop(); // no blocks mined behind a failed phase
    throw err;
  } finally {
    t.active = false;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDone();
  const blocks = loop ? await loop.stop() : [];
  const profile = stopProfiler && profPath ? await writeProfile(stopProfiler, profPath, label) : null;
  const { events, ledger } = await writtenSince(app, events0, ledger0);
  return {
    seconds,
    passes: run.passes,
    timers: t.entries(),
    passMs: run.passMs,
    statements: probe.statements,
    commits: probe.commits,
    blocks,
    cpu,
    events,
    ledger,
    profile,
  };
}

/** The passes until `done()` holds, and the time spent inside them; throws past MAX_PASSES or PHASE_MAX_MS. */
async function runPasses(
  processor: PayoutProcessor,
  probe: Probe,
  label: string,
  done: Done,
  t0: number,
): Promise<{ passes: PassLine[]; passMs: number }> {
  const passes: PassLine[] = [];
  let passMs = 0;
  for (;;) {
    if (passes.length >= MAX_PASSES || performance.now() - t0 > PHASE_MAX_MS)
      throw new Error(`${label}: unfinished after ${passes.length} passes`);
    const pass = await onePass(processor, probe);
    if (!pass) {
      await sleep(20); // the start-up pass of the BullMQ worker still holds the wallet's lock
      continue;
    }
    passMs += pass.line.ms;
    passes.push(pass.line);
    const state = await done();
    logPass(passes.length, pass.result, pass.line, state.progress);
    if (state.ok) return { passes, passMs };
  }
}

/** One pass of the bench's and what it cost; null when it was turned away (another pass held the lock). */
async function onePass(
  processor: PayoutProcessor,
  probe: Probe,
): Promise<{ result: TickResult; line: PassLine } | null> {
  const { t } = probe;
  const before = {
    db: t.get('DB (any)').ms,
    rpc: t.get('RPC (any)').ms,
    statements: probe.statements,
  };
  probe.lastOpen = 0;
  const p0 = performance.now();
  const r = await probe.als.run(true, () => processor.tick());
  const took = performance.now() - p0;
  if (r.skipped) return null;
  const line: PassLine = {
    ms: took,
    sent: r.sent,
    completed: r.completed,
    open: probe.lastOpen,
    dbMs: t.get('DB (any)').ms - before.db,
    rpcMs: t.get('RPC (any)').ms - before.rpc,
    statements: probe.statements - before.statements,
  };
  return { result: r, line };
}

function logPass(n: number, r: TickResult, line: PassLine, progress: string): void {
  log(
    `  pass ${n}: ${int(r.sent)} sent, ${int(r.completed)} completed, ${int(line.open)} open at the start,` +
      ` ${(line.ms / 1000).toFixed(2)} s (DB ${(line.dbMs / 1000).toFixed(2)} s, RPC ${(line.rpcMs / 1000).toFixed(2)} s);` +
      ` ${progress}${r.alert ? `; alert: ${r.alert}` : ''}`,
  );
}

/** PAYOUTS_CPU_PROF: the phase's CPU profile saved to `path`, and where the time went. */
async function writeProfile(
  stopProfiler: () => Promise<CpuProfile>,
  path: string,
  label: string,
): Promise<ProfileSummary> {
  const p = await stopProfiler();
  saveProfile(p, path);
  const profile = summarizeProfile(p);
  log(`CPU profile of the ${label} phase written to ${path}`);
  return profile;
}

/** The ledger batches run and the events written since `events0` and `ledger0` were read. */
async function writtenSince(
  app: App,
  events0: Record<string, number>,
  ledger0: { batches: number; items: number },
): Promise<Pick<Phase, 'events' | 'ledger'>> {
  const ledger1 = ledgerStats(app);
  const events1 = await eventCounts(app);
  const events = Object.fromEntries(
    Object.entries(events1)
      .map(([k, v]) => [k, v - (events0[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
  return {
    events,
    ledger: { batches: ledger1.batches - ledger0.batches, items: ledger1.items - ledger0.items },
  };
}
