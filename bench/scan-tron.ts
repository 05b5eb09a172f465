import os from 'node:os';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTronDevnet, type TronDevnet } from '../src/devnet/tron/index.js';
import type { ChainScanner, ScanPass } from '../src/modules/deposits/scanner.js';
import { benchAppConfig, warnLog } from './lib/bench-app.js';
import { type CpuSplit, cpuMeter } from './lib/cpu.js';
import { type ProfileSummary, saveProfile, startProfiler, summarizeProfile } from './lib/cpu-profile.js';
import { dropDatabase, vacuumAnalyze } from './lib/db.js';
import { forEachConcurrent, percentile } from './lib/load.js';
import { log, sleep } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int, machineLines, ms, serverLogSummary, table } from './lib/report.js';
import {
  CREATE_CONCURRENCY,
  createDeposits,
  creditedCount,
  outboxLine,
  prng,
  type ScanChecks,
  scanChecks,
} from './lib/scan.js';

// `npm run bench -- scan-tron`: the TRC20 deposit scanner catching up on a TRON devnet, in this process
// (app with role all, devnet without a timer: the bench mines). 10,000 watched deposit addresses; 20,000
// blocks holding 50,000 USDT transfers, 5,000 of them paying a deposit (1 USDT each) and the rest going to
// random other addresses; then 19 empty blocks so every payment is confirmable. Measured:
//  - catch-up: scanner passes back to back from the first of those blocks until every payment is credited;
//  - head latency: caught up, pay one more deposit, mine 19 blocks, time to the credit (20 repetitions);
//  - baseline: a bare loop fetching the same blocks from the devnet with the same requests (no database).
// SCAN_TRON_SCALE (0.01-1, default 1) shrinks every count for a quick try; SCAN_TRON_CPU_PROF=<file> writes a
// V8 CPU profile of the catch-up and prints where its time went.

const BENCH_DB = 'novapay_bench_scan';
const REDIS_PREFIX = 'novapay-bench-scan';
const CHAIN = 'TRC20:test';
const CONFIRMATIONS = 19;
const HEAD_REPS = 20;
const IDLE_REPS = 5;
/** The second baseline: gettransactioninfobyblocknum requests of one range sent this many at a time. */
const BASELINE_IN_FLIGHT = 8;
/** The issue's bar: a day of TRON (28,800 blocks) recovered in under 5 minutes. */
const BAR_BLOCKS_PER_S = 100;
const USDT = 1_000_000n;
const MAX_PASSES = 2_000;
const CATCH_UP_MAX_MS = 30 * 60_000;
/** Scheduled passes (BullMQ) every hour: none lands inside this run, whose passes the bench drives itself. */
const SCHEDULE_MS = 3_600_000;
const SEED = 0x5ca9;

interface Sizes {
  addresses: number;
  blocks: number;
  transfers: number;
  watched: number;
}

function sizes(): Sizes {
  const raw = process.env.SCAN_TRON_SCALE ?? '1';
  const s = Number(raw);
  if (!(s >= 0.01 && s <= 1)) throw new Error(`SCAN_TRON_SCALE must be 0.01-1, not '${raw}'`);
  const n = (x: number) => Math.max(1, Math.round(x * s));
  return { addresses: n(10_000), blocks: n(20_000), transfers: n(50_000), watched: n(5_000) };
}

interface Planned {
  to: string;
  amount: bigint;
}

/**
 * Transfers k < watched pay deposit k exactly 1 USDT; the others pay 1-1,000 USDT to a random address
 * (41-hex) nobody watches. Each transfer lands in a uniformly random block.
 */
function planChain(s: Sizes, depositAddresses: string[]): Planned[][] {
  const rand = prng(SEED);
  const word = () =>
    Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  const perBlock: Planned[][] = Array.from({ length: s.blocks }, () => []);
  for (let k = 0; k < s.transfers; k++) {
    const block = Math.floor(rand() * s.blocks);
    const t =
      k < s.watched
        ? { to: depositAddresses[k]!, amount: USDT }
        : {
            to: `41${word()}${word()}${word()}${word()}${word()}`,
            amount: BigInt(1 + Math.floor(rand() * 1000)) * USDT,
          };
    perBlock[block]!.push(t);
  }
  return perBlock;
}

// --- per-step timing of the scanner, by wrapping methods of its instances (nothing in src/ changes) -----

type AsyncFn = (...args: any[]) => Promise<unknown>;

class Steps {
  active = false;
  private readonly totals = new Map<string, { calls: number; ms: number }>();

  wrap(obj: any, method: string, name: string | ((args: any[]) => string)): void {
    const orig = obj?.[method] as AsyncFn | undefined;
    if (typeof orig !== 'function')
      throw new Error(`scan-tron: cannot time ${method}: not a method any more`);
    obj[method] = async (...args: any[]) => {
      if (!this.active) return orig.apply(obj, args);
      const t = performance.now();
      try {
        return await orig.apply(obj, args);
      } finally {
        this.add(typeof name === 'string' ? name : name(args), performance.now() - t);
      }
    };
  }

  add(name: string, elapsedMs: number): void {
    const v = this.totals.get(name) ?? { calls: 0, ms: 0 };
    v.calls++;
    v.ms += elapsedMs;
    this.totals.set(name, v);
  }

  reset(): void {
    this.totals.clear();
  }

  get(name: string): { calls: number; ms: number } {
    return this.totals.get(name) ?? { calls: 0, ms: 0 };
  }
}

const HTTP_BLOCKS = 'HTTP getblockbylimitnext';
const HTTP_INFOS = 'HTTP gettransactioninfobyblocknum';

function instrument(scanner: ChainScanner, steps: Steps): void {
  const s = scanner as any;
  steps.wrap(s, 'run', 'pass body');
  steps.wrap(s, 'checkReorg', 'reorg check');
  steps.wrap(s, 'creditConfirmed', 'creditConfirmed');
  steps.wrap(s.adapter, 'call', (args) => `HTTP ${String(args[0]).replace(/^\/wallet(solidity)?\//, '')}`);
  steps.wrap(s.adapter, 'scanRange', 'scanRange');
  for (const m of [
    'setHead',
    'cursor',
    'watched',
    'recentBlocks',
    'record',
    'updateConfirmations',
    'uncredited',
  ])
    steps.wrap(s.store, m, `store.${m}`);
  steps.wrap(s.crediting, 'creditMany', 'creditMany');
}

interface StepRow {
  /** Top-level steps have a key; their sum is what the pass spent outside "rest of the pass". */
  key?: 'head' | 'reorg' | 'setup' | 'scan' | 'record' | 'confirmations' | 'credit';
  label: string;
  calls: number;
  /** NaN: a difference that cannot be taken because the calls inside ran concurrently (their times overlap). */
  ms: number;
}

/**
 * The pass, split into its steps. Rows named "other"/"adapter JS"/"select deposit" are differences
 * (parent minus the timed calls inside it); they are left out when those calls overlapped in time.
 */
function stepRows(steps: Steps, passMs: number, passes: number): StepRow[] {
  const g = (n: string) => steps.get(n);
  const row = (label: string, ...names: string[]): StepRow => ({
    label,
    calls: names.reduce((c, n) => c + g(n).calls, 0),
    ms: names.reduce((c, n) => c + g(n).ms, 0),
  });
  const rest = (parentMs: number, ...partsMs: number[]) => {
    const d = partsMs.reduce((a, x) => a - x, parentMs);
    return d < -0.01 * parentMs ? Number.NaN : d;
  };
  const scan = g('scanRange');
  const blocksHttp = g(HTTP_BLOCKS);
  const infosHttp = g(HTTP_INFOS);
  const credit = g('creditMany');
  const creditConfirmed = g('creditConfirmed');
  const uncredited = g('store.uncredited');
  const rows: StepRow[] = [
    { key: 'head', ...row('head + solidified head (HTTP getnowblock ×2)', 'HTTP getnowblock') },
    { key: 'reorg', ...row('reorg check (recent hashes from DB, getblockbynum)', 'reorg check') },
    {
      key: 'setup',
      ...row('setHead + cursor + watched addresses (DB)', 'store.setHead', 'store.cursor', 'store.watched'),
    },
    row('  of which: load the watched set (select address from deposits)', 'store.watched'),
    { key: 'scan', label: 'scanRange (100 blocks from the node)', ...scan },
    { label: '  HTTP getblockbylimitnext (fetch + JSON)', ...blocksHttp },
    { label: '  HTTP gettransactioninfobyblocknum (fetch + JSON)', ...infosHttp },
    {
      label: '  adapter JS: decode, match logs, address conversion',
      calls: scan.calls,
      ms: rest(scan.ms, blocksHttp.ms, infosHttp.ms),
    },
    { key: 'record', ...row('record (one DB transaction per range)', 'store.record') },
    { key: 'confirmations', ...row('updateConfirmations (DB)', 'store.updateConfirmations') },
    { key: 'credit', label: 'creditConfirmed', ...creditConfirmed },
    row('  uncredited (DB, ≤ 1,000 per pass)', 'store.uncredited'),
    {
      label: '  select the deposits (DB, one query per pass)',
      calls: creditConfirmed.calls,
      ms: rest(creditConfirmed.ms, uncredited.ms, credit.ms),
    },
    {
      label: '  creditMany (settings, then ledger batches with set-based guard and bookkeeping)',
      ...credit,
    },
  ];
  const top = rows.filter((r) => r.key).reduce((a, r) => a + r.ms, 0);
  rows.push({ label: 'rest of the pass (advisory lock, bookkeeping)', calls: passes, ms: passMs - top });
  return rows;
}

const stepMs = (rows: StepRow[], key: NonNullable<StepRow['key']>) =>
  rows.find((r) => r.key === key)?.ms ?? 0;

function stepTable(rows: StepRow[], totalMs: number, perRep?: number): string[] {
  const overlap = 'n/a (calls overlapped)';
  const share = (x: number) => (Number.isNaN(x) ? overlap : `${((x / totalMs) * 100).toFixed(1)} %`);
  return table(
    perRep
      ? ['step', 'calls per pass', 'ms per pass', 'share']
      : ['step', 'calls', 'seconds', 'share of the catch-up', 'ms per call'],
    rows.map((r) =>
      perRep
        ? [
            r.label,
            (r.calls / perRep).toFixed(1),
            Number.isNaN(r.ms) ? overlap : ms(r.ms / perRep),
            share(r.ms),
          ]
        : [
            r.label,
            int(r.calls),
            Number.isNaN(r.ms) ? overlap : (r.ms / 1000).toFixed(2),
            share(r.ms),
            r.calls && !Number.isNaN(r.ms) ? ms(r.ms / r.calls) : 'n/a',
          ],
    ),
  );
}

// --- the phases ----------------------------------------------------------------------------------------

async function onePass(scanner: ChainScanner): Promise<ScanPass> {
  for (let i = 0; i < 500; i++) {
    const r = await scanner.pass();
    if (!r.skipped) return r;
    await sleep(20); // another pass (a scheduled one) holds the chain's lock
  }
  throw new Error('the scanner lock was never free');
}

interface Generated {
  firstBlock: number;
  lastBlock: number;
  head: number;
  seconds: number;
  transactions: number;
  succeeded: number;
}

async function generateChain(devnet: TronDevnet, plan: Planned[][]): Promise<Generated> {
  const t0 = performance.now();
  const firstBlock = devnet.head().number + 1;
  for (const [i, txs] of plan.entries()) {
    for (const t of txs) devnet.sendUsdt(t.to, t.amount);
    devnet.mine(1);
    if ((i + 1) % 50 === 0) await new Promise((r) => setImmediate(r)); // let the app's I/O breathe
    if ((i + 1) % 2000 === 0)
      log(`  ${int(i + 1)} blocks mined (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const lastBlock = devnet.head().number;
  devnet.mine(CONFIRMATIONS); // the last payment gets 20 confirmations, so every one is confirmable
  let transactions = 0;
  let succeeded = 0;
  for (let n = firstBlock; n <= lastBlock; n++) {
    for (const t of devnet.chain.blocks[n]!.txs) {
      transactions++;
      if (t.contractRet === 'SUCCESS') succeeded++;
    }
  }
  return {
    firstBlock,
    lastBlock,
    head: devnet.head().number,
    seconds: (performance.now() - t0) / 1000,
    transactions,
    succeeded,
  };
}

interface Baseline {
  blocks: number;
  seconds: number;
  blockRequests: number;
  infoRequests: number;
  bytes: number;
  logs: number;
  cpu: CpuSplit;
}

/**
 * What the node and the transport cost alone: the scanner's requests with no database. `inFlight` 1 is the
 * scanner's order (one request at a time); more sends a range's gettransactioninfobyblocknum concurrently.
 */
async function bareFetch(url: string, from: number, to: number, inFlight: number): Promise<Baseline> {
  let bytes = 0;
  let blockRequests = 0;
  let infoRequests = 0;
  let logs = 0;
  const post = async (path: string, body: object): Promise<any> => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    bytes += Number(res.headers.get('content-length') ?? 0);
    return res.json();
  };
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  for (let start = from; start <= to; start += 100) {
    const end = Math.min(to, start + 99);
    blockRequests++;
    const r = await post('/wallet/getblockbylimitnext', { startNum: start, endNum: end + 1 });
    const blocks = (r.block ?? []) as any[];
    if (blocks.length !== end - start + 1) throw new Error(`baseline: ${blocks.length} blocks at ${start}`);
    const withCalls = blocks.filter((b) =>
      (b.transactions ?? []).some((tx: any) =>
        (tx.raw_data?.contract ?? []).some((c: any) => c.type === 'TriggerSmartContract'),
      ),
    );
    await forEachConcurrent(withCalls.length, inFlight, async (i) => {
      infoRequests++;
      const infos = (await post('/wallet/gettransactioninfobyblocknum', {
        num: withCalls[i].block_header.raw_data.number,
      })) as any[];
      for (const x of infos) logs += x.log?.length ?? 0;
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  return { blocks: to - from + 1, seconds, blockRequests, infoRequests, bytes, logs, cpu: cpuDone() };
}

interface PassLine {
  scanned: number;
  credited: number;
  ms: number;
  cursor: number | undefined;
  head: number | undefined;
  error: string | undefined;
}

interface CatchUp {
  seconds: number;
  scannedBlocks: number;
  credited: number;
  passes: PassLine[];
  passMs: number;
  rows: StepRow[];
  cpu: CpuSplit;
  profile: ProfileSummary | null;
  /** The ledger batcher over the catch-up: database transactions, postings in them, largest batch so far. */
  ledger: { batches: number; items: number; maxBatch: number };
}

async function catchUp(app: App, scanner: ChainScanner, steps: Steps, s: Sizes): Promise<CatchUp> {
  const profPath = process.env.SCAN_TRON_CPU_PROF;
  const stopProfiler = profPath ? await startProfiler() : null;
  steps.reset();
  steps.active = true;
  const ledger0 = { ...app.services.ledger.batchStats };
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  const passes: PassLine[] = [];
  let credited = 0;
  let scannedBlocks = 0;
  let passMs = 0;
  while (credited < s.watched) {
    if (passes.length >= MAX_PASSES || performance.now() - t0 > CATCH_UP_MAX_MS)
      throw new Error(`catch-up unfinished after ${passes.length} passes: ${credited}/${s.watched} credited`);
    const p0 = performance.now();
    const r = await onePass(scanner);
    const took = performance.now() - p0;
    passMs += took;
    scannedBlocks += r.scannedBlocks;
    credited = await creditedCount(app, CHAIN);
    passes.push({
      scanned: r.scannedBlocks,
      credited: r.credited,
      ms: took,
      cursor: r.cursor,
      head: r.head,
      error: r.error,
    });
    log(
      `  pass ${passes.length}: ${int(r.scannedBlocks)} blocks, ${int(r.credited)} credited in ${(took / 1000).toFixed(2)} s` +
        ` (cursor ${r.cursor}, head ${r.head}; ${int(credited)}/${int(s.watched)} credited)${r.error ? ` ERROR ${r.error}` : ''}`,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDone();
  steps.active = false;
  const ledger1 = app.services.ledger.batchStats;
  const ledger = {
    batches: ledger1.batches - ledger0.batches,
    items: ledger1.items - ledger0.items,
    maxBatch: ledger1.maxBatch,
  };
  let profile: ProfileSummary | null = null;
  if (stopProfiler && profPath) {
    const p = await stopProfiler();
    saveProfile(p, profPath);
    profile = summarizeProfile(p);
    log(`CPU profile of the catch-up written to ${profPath}`);
  }
  const rows = stepRows(steps, passMs, passes.length);
  return { seconds, scannedBlocks, credited, passes, passMs, rows, cpu, profile, ledger };
}

interface HeadLatency {
  latencies: number[];
  passes: number[];
  idle: number[];
  rows: StepRow[];
  totalMs: number;
}

async function headLatency(
  app: App,
  devnet: TronDevnet,
  scanner: ChainScanner,
  steps: Steps,
  unpaid: string[],
): Promise<HeadLatency> {
  // The devnet has mined nothing since the chain was generated, minutes ago, and it drops a transaction
  // whose expiration (reference block's time + 60 s) passed before it is mined: one fresh block first, as
  // a live chain would have (TRON makes one every 3 s), taken in by one pass.
  devnet.mine(1);
  await onePass(scanner);
  const idle: number[] = [];
  for (let i = 0; i < IDLE_REPS; i++) {
    const t = performance.now();
    await onePass(scanner);
    idle.push(performance.now() - t);
  }
  steps.reset();
  steps.active = true;
  const latencies: number[] = [];
  const passes: number[] = [];
  let totalMs = 0;
  let passMs = 0;
  for (let rep = 0; rep < HEAD_REPS; rep++) {
    const address = unpaid[rep]!;
    const txid = devnet.sendUsdt(address, USDT);
    const [payBlock] = devnet.mine(CONFIRMATIONS); // the payment's block, with 19 confirmations at the end
    if (!payBlock?.transactions.includes(txid)) throw new Error(`head payment ${txid} was not mined`);
    const t0 = performance.now();
    let n = 0;
    for (;;) {
      if (n >= 10) throw new Error(`head payment ${txid} not credited after 10 passes`);
      const p0 = performance.now();
      await onePass(scanner);
      passMs += performance.now() - p0;
      n++;
      const r = await app.pool.query(
        `select 1 from chain_transfers where chain = $1 and tx_hash = $2 and status = 'credited'`,
        [CHAIN, txid],
      );
      if (r.rowCount) break;
    }
    const took = performance.now() - t0;
    totalMs += took;
    latencies.push(took);
    passes.push(n);
  }
  steps.active = false;
  return {
    latencies,
    passes,
    idle,
    rows: stepRows(
      steps,
      passMs,
      passes.reduce((a, b) => a + b, 0),
    ),
    totalMs,
  };
}

// --- report --------------------------------------------------------------------------------------------

const f2 = (n: number) => n.toFixed(2);

function cpuLine(c: CpuSplit): string {
  const other = Math.max(0, c.machine - c.generator - c.postgres - c.redis);
  return (
    `CPU busy ${f2(c.machine)} of ${os.availableParallelism()} cores: this process (app + devnet, one event loop) ${f2(c.generator)},` +
    ` PostgreSQL ${f2(c.postgres)}, Redis ${f2(c.redis)}, other (kernel, other processes) ${f2(other)}`
  );
}

interface Run {
  s: Sizes;
  createSeconds: number;
  gen: Generated;
  base: Baseline;
  piped: Baseline;
  up: CatchUp;
  head: HeadLatency;
  checks: ScanChecks;
  logLines: string[];
  stopMs: number;
}

function report(r: Run): string[] {
  const { s, gen, base, piped, up, head } = r;
  const blocks = gen.head - gen.firstBlock + 1;
  const oursRate = up.scannedBlocks / up.seconds;
  const baseRate = base.blocks / base.seconds;
  const scanMs = stepMs(up.rows, 'scan') + stepMs(up.rows, 'record');
  const creditMs = stepMs(up.rows, 'credit');
  const requests = (n: string) => up.rows.find((x) => x.label.startsWith(n))?.calls ?? 0;
  const met = oursRate >= BAR_BLOCKS_PER_S;
  const lat = Float64Array.from(head.latencies).sort();
  const idle = Float64Array.from(head.idle).sort();
  const lines = [
    ...table(
      ['phase', 'blocks', 'seconds', 'blocks/s', 'deposits credited/s', 'HTTP requests to the node'],
      [
        [
          'node alone: bare fetch loop, same requests, no database',
          int(base.blocks),
          f2(base.seconds),
          int(baseRate),
          'n/a',
          int(base.blockRequests + base.infoRequests),
        ],
        [
          `node alone, ${BASELINE_IN_FLIGHT} gettransactioninfobyblocknum in flight (what pipelining could reach)`,
          int(piped.blocks),
          f2(piped.seconds),
          int(piped.blocks / piped.seconds),
          'n/a',
          int(piped.blockRequests + piped.infoRequests),
        ],
        [
          `ours: catch-up, passes until all ${int(s.watched)} payments are credited`,
          int(up.scannedBlocks),
          f2(up.seconds),
          int(oursRate),
          int(up.credited / up.seconds),
          int(requests('  HTTP getblockbylimitnext') + requests('  HTTP gettransactioninfobyblocknum')),
        ],
      ],
    ),
    '',
    `- ratio ours / node alone: ${(oursRate / baseRate).toFixed(2)} (the node and transport account for` +
      ` ${((base.seconds / up.seconds) * 100).toFixed(0)} % of the catch-up's time; the rest is ours)`,
    `- the issue's bar, catch-up ≥ ${BAR_BLOCKS_PER_S} blocks/s: ${met ? 'MET' : 'NOT MET'} (${int(oursRate)} blocks/s;` +
      ` a day of TRON, 28,800 blocks, would take ${(28_800 / oursRate / 60).toFixed(1)} min at this rate)`,
    `- head latency, ${HEAD_REPS} repetitions (pay one deposit, mine ${CONFIRMATIONS} blocks, run passes until it is` +
      ` credited): median ${ms(percentile(lat, 0.5))}, p90 ${ms(percentile(lat, 0.9))}, min ${ms(lat[0] ?? Number.NaN)},` +
      ` max ${ms(lat.at(-1) ?? Number.NaN)}; passes needed: ${[...new Set(head.passes)].join('/')};` +
      ` an idle pass (nothing new) takes median ${ms(percentile(idle, 0.5))}`,
    '',
    `catch-up, where the time went (per-step timers around the scanner's methods; ${up.passes.length} passes,` +
      ` ${f2(up.passMs / 1000)} s inside pass()):`,
    '',
    ...stepTable(up.rows, up.seconds * 1000),
    '',
    `- scanning (scanRange + record): ${f2(scanMs / 1000)} s = ${int(up.scannedBlocks / (scanMs / 1000))} blocks/s;` +
      ` crediting (creditConfirmed): ${f2(creditMs / 1000)} s = ${int(up.credited / (creditMs / 1000))} credits/s,` +
      ` ${ms(creditMs / Math.max(1, up.credited))} each`,
    `- ledger during the catch-up: ${int(up.ledger.batches)} batches (database transactions) for` +
      ` ${int(up.ledger.items)} postings, ${(up.ledger.items / Math.max(1, up.ledger.batches)).toFixed(2)} per batch` +
      ` (largest so far ${up.ledger.maxBatch})${up.ledger.items < 1.5 * up.ledger.batches ? ': one transaction and commit per credit' : ''}`,
    `- the cursor passed the head in pass ${up.passes.findIndex((p) => (p.cursor ?? 0) > gen.head) + 1} of` +
      ` ${up.passes.length}; a pass credits at most 1,000 transfers (ChainStore.uncredited's limit), so crediting` +
      ` trails scanning and the last pass mostly credits`,
    `- passes (blocks scanned / credited / seconds): ${up.passes
      .map((p) => `${int(p.scanned)}/${int(p.credited)}/${(p.ms / 1000).toFixed(1)}`)
      .join(', ')}`,
    `- catch-up ${cpuLine(up.cpu)}`,
    `- baseline: ${int(base.blockRequests)} getblockbylimitnext + ${int(base.infoRequests)} gettransactioninfobyblocknum,` +
      ` ${(base.bytes / 2 ** 20).toFixed(0)} MiB of JSON, ${int(base.logs)} logs; ${cpuLine(base.cpu)}`,
    `- baseline with ${BASELINE_IN_FLIGHT} in flight: ${cpuLine(piped.cpu)}`,
    '',
    `head latency, per pass (${head.passes.reduce((a, b) => a + b, 0)} passes):`,
    '',
    ...stepTable(
      head.rows,
      head.totalMs,
      head.passes.reduce((a, b) => a + b, 0),
    ),
    '',
  ];
  if (up.profile) {
    lines.push(
      `CPU profile of the catch-up (${f2(up.profile.seconds)} s sampled, self time by part of the code):`,
      '',
      ...table(
        ['part', 'seconds', 'share'],
        up.profile.parts
          .slice(0, 14)
          .map(([p, sec]) => [p, f2(sec), `${((sec / up.profile!.seconds) * 100).toFixed(1)} %`]),
      ),
      '',
      'functions of this repository by inclusive time:',
      '',
      ...table(
        ['function', 'seconds'],
        up.profile.functions.map(([fn, sec]) => [`\`${fn}\``, f2(sec)]),
      ),
      '',
    );
  }
  const c = r.checks;
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ') || 'none';
  lines.push(
    `- set-up: ${int(s.addresses)} deposits created (${CREATE_CONCURRENCY} at a time, in-process service calls) in` +
      ` ${f2(r.createSeconds)} s; chain generated before any timing: blocks ${gen.firstBlock}-${gen.lastBlock}` +
      ` (${int(gen.lastBlock - gen.firstBlock + 1)}) with ${int(gen.transactions)} TRC20 transfers` +
      ` (${int(gen.succeeded)} SUCCESS), ${int(s.watched)} of them paying a deposit, then ${CONFIRMATIONS} empty blocks` +
      ` (${int(blocks)} blocks to scan), in ${f2(gen.seconds)} s`,
    `- checks: chain_transfers ${fmt(c.transfers)}; deposits ${fmt(c.deposits)}; ledger deposit postings` +
      ` ${int(c.ledgerDeposits)}; credited ${c.creditedStars} Star minor units; unexpected funds ${c.unexpected};` +
      ` sum of balances ${c.balanceSum}; deposit.confirmed events ${int(c.confirmedEvents)}` +
      ` (${outboxLine(c)})`,
    `- app log at warn: ${r.logLines.length ? `${r.logLines.length} lines` : 'nothing'}`,
    ...serverLogSummary(r.logLines),
    `- app and devnet stopped in ${ms(r.stopMs)}`,
  );
  return lines;
}

export async function run(_args: string[]): Promise<void> {
  const s = sizes();
  const started = new Date();
  const { logger, lines: logLines } = warnLog();
  let devnet: TronDevnet | null = null;
  let app: App | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    devnet = await startTronDevnet({ solidDepth: CONFIRMATIONS });
    log(`devnet at ${devnet.url}; starting the app in this process (database ${BENCH_DB}, role all)`);
    const d = devnet;
    app = await createApp({
      migrate: true,
      role: 'all',
      logger,
      config: {
        ...benchAppConfig(BENCH_DB, REDIS_PREFIX, SCHEDULE_MS),
        tron: {
          ...loadConfig().tron,
          devnet: 'off',
          nodeUrl: null,
          testNodeUrl: d.url,
          testUsdtContract: d.usdt.address,
          testFaucetPrivateKey: d.faucet.privateKey,
          confirmations: CONFIRMATIONS,
        },
      },
    });
    const scanner = app.workers?.scanning.scanners.get(CHAIN);
    if (!scanner) throw new Error(`no scanner for ${CHAIN}`);
    const steps = new Steps();
    instrument(scanner, steps);

    const merchant = await app.services.merchants.createMerchant('Bench scan-tron');
    await app.services.merchants.createKey(merchant.id, 'test', { rateLimitPerSecond: 1_000_000 });
    log(`merchant ${merchant.id}; creating ${int(s.addresses)} TRC20 deposits`);
    const c0 = performance.now();
    const addresses = await createDeposits(app, merchant.id, s.addresses, 'TRC20');
    const createSeconds = (performance.now() - c0) / 1000;
    log(`created ${int(s.addresses)} deposits in ${createSeconds.toFixed(1)} s`);

    // A fresh head first: transactions reference it and expire 60 s after its time, and the devnet's only
    // block is older than that by now (the devnet drops expired transactions when it mines, as java-tron does).
    devnet.mine(1);
    await onePass(scanner); // the cursor now sits right after the current head
    const cursor = Number(
      (await app.pool.query('select next_block from chain_cursors where chain = $1', [CHAIN])).rows[0]
        ?.next_block,
    );
    log(
      `generating ${int(s.blocks)} blocks with ${int(s.transfers)} transfers (${int(s.watched)} to deposits)`,
    );
    const gen = await generateChain(devnet, planChain(s, addresses));
    log(
      `generated blocks ${gen.firstBlock}-${gen.head} in ${gen.seconds.toFixed(1)} s; ${int(gen.succeeded)}/${int(gen.transactions)} transfers SUCCESS`,
    );
    if (cursor !== gen.firstBlock)
      throw new Error(`scanner cursor ${cursor} is not the first block ${gen.firstBlock}`);
    if (gen.transactions !== s.transfers || gen.succeeded !== s.transfers)
      throw new Error(
        `expected ${s.transfers} successful transfers, mined ${gen.succeeded}/${gen.transactions}`,
      );
    await vacuumAnalyze(BENCH_DB);

    log(
      `baseline: bare fetch of blocks ${gen.firstBlock}-${gen.head} from the devnet, one request at a time`,
    );
    const base = await bareFetch(devnet.url, gen.firstBlock, gen.head, 1);
    log(`  ${int(base.blocks / base.seconds)} blocks/s (${base.seconds.toFixed(2)} s)`);
    log(`baseline: the same with ${BASELINE_IN_FLIGHT} gettransactioninfobyblocknum in flight`);
    const piped = await bareFetch(devnet.url, gen.firstBlock, gen.head, BASELINE_IN_FLIGHT);
    log(`  ${int(piped.blocks / piped.seconds)} blocks/s (${piped.seconds.toFixed(2)} s)`);

    log(
      `catch-up: scanner passes from block ${gen.firstBlock} until ${int(s.watched)} payments are credited`,
    );
    const up = await catchUp(app, scanner, steps, s);
    log(
      `  ${int(up.scannedBlocks / up.seconds)} blocks/s, ${int(up.credited / up.seconds)} credits/s (${up.seconds.toFixed(1)} s)`,
    );

    log(`head latency: ${HEAD_REPS} × (pay one deposit, mine ${CONFIRMATIONS} blocks, pass)`);
    const head = await headLatency(app, devnet, scanner, steps, addresses.slice(s.watched));
    log(`  median ${ms(percentile(Float64Array.from(head.latencies).sort(), 0.5))}`);
    const checked = await scanChecks(app, CHAIN);

    const t = performance.now();
    await app.stop();
    app = null;
    await devnet.close();
    devnet = null;
    const stopMs = performance.now() - t;
    const lines = [
      `scan-tron benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      `- sizes: ${int(s.addresses)} watched deposit addresses, ${int(s.blocks)} blocks + ${CONFIRMATIONS}, ${int(s.transfers)}` +
        ` TRC20 transfers, ${int(s.watched)} of them to watched addresses; confirmations ${CONFIRMATIONS}` +
        ` (solidified head = head − ${CONFIRMATIONS})`,
      '',
      ...report({ s, createSeconds, gen, base, piped, up, head, checks: checked, logLines, stopMs }),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await app?.stop().catch((e) => log(`could not stop the app: ${e.message}`));
    await devnet?.close().catch((e) => log(`could not close the devnet: ${e.message}`));
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) => log(`could not clean Redis: ${e.message}`));
  }
}
