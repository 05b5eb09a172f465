import { FetchRequest, JsonRpcProvider, zeroPadValue } from 'ethers';
import { type App, createApp } from '../src/app.js';
import { EvmAdapter } from '../src/chains/evm/adapter.js';
import type { NetworkConfig } from '../src/chains/registry.js';
import { MAX_RANGE } from '../src/chains/tron/adapter.js';
import { type EvmDevnet, startEvmDevnet } from '../src/devnet/evm/index.js';
import type { ChainScanner, ScanPass } from '../src/modules/deposits/scanner.js';
import { benchAppConfig, evmDevnetChains, warnLog } from './lib/bench-app.js';
import { type CpuSplit, cpuMeter } from './lib/cpu.js';
import { type ProfileSummary, saveProfile, startProfiler, summarizeProfile } from './lib/cpu-profile.js';
import { dropDatabase, vacuumAnalyze } from './lib/db.js';
import { MethodTimers } from './lib/method-timers.js';
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

// `npm run bench -- scan-evm`: the ERC20 deposit scanner catching up on the hardhat EVM devnet, in this
// process (app with role all; devnet with automine off: the bench decides what goes in each block).
// 10,000 watched deposit addresses; 5,000 blocks, most of them carrying one Disperse transaction of 2-12
// token transfers to random addresses nobody watches, some a plain transfer or two; 3,000 of the transfers
// pay a deposit (1 USDT each); then 12 empty blocks so every payment has its 12 confirmations. Measured:
//  - catch-up: scanner passes back to back from the first of those blocks until every payment is credited;
//  - baselines: a bare fetch loop asking the devnet for the same blocks (eth_getBlockByNumber, batched) and
//    logs (eth_getLogs, same ranges and address batches), no database; the same with the scanner's receipt
//    requests; everything batched; and the EvmAdapter alone (scanRange over the same ranges, no database).
// The devnet refuses eth_getLogs wider than 1,000 blocks (maxLogsBlockRange); refusals are counted.
// SCAN_EVM_SCALE (0.01-1, default 1) shrinks every count for a quick try; SCAN_EVM_CPU_PROF=<file> writes a
// V8 CPU profile of the catch-up and prints where its time went.

const BENCH_DB = 'novapay_bench_scan_evm';
const REDIS_PREFIX = 'novapay-bench-scan-evm';
const CHAIN = 'ERC20:test';
const CONFIRMATIONS = 12;
const MAX_LOGS_BLOCK_RANGE = 1_000;
/** 'finalized' = head − 1,000 (as the app's own devnet): confirmations, not the tag, decide crediting. */
const FINALIZED_DEPTH = 1_000;
/** As src/chains/evm/adapter.ts: watched addresses per eth_getLogs filter. */
const ADDRESSES_PER_FILTER = 500;
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const USDT = 1_000_000n;
const MAX_PASSES = 500;
const CATCH_UP_MAX_MS = 30 * 60_000;
/** Scheduled passes (BullMQ): the bench drives the passes itself and turns away the scheduler's (counted). */
const SCHEDULE_MS = 600_000;
const SEED = 0xe7a5;

interface Sizes {
  addresses: number;
  blocks: number;
  watched: number;
}

function sizes(): Sizes {
  const raw = process.env.SCAN_EVM_SCALE ?? '1';
  const s = Number(raw);
  if (!(s >= 0.01 && s <= 1)) throw new Error(`SCAN_EVM_SCALE must be 0.01-1, not '${raw}'`);
  const n = (x: number) => Math.max(1, Math.round(x * s));
  return { addresses: n(10_000), blocks: n(5_000), watched: n(3_000) };
}

interface Payment {
  to: string;
  amount: bigint;
}

interface PlannedBlock {
  /** One Disperse transaction (approve + disperseToken: 2 transactions), or nothing when empty. */
  dispersed: Payment[];
  /** Plain `transfer` transactions, one each. */
  single: Payment[];
}

interface Plan {
  blocks: PlannedBlock[];
  transfers: number;
  transactions: number;
}

/**
 * 90 % of the blocks get a Disperse of 2-12 transfers of 1-1,000 USDT to random addresses nobody watches,
 * 35 % one or two plain transfers; payment k < watched pays deposit k exactly 1 USDT in a uniformly random
 * block (inside its Disperse when it has one, else as a plain transfer).
 */
function planChain(s: Sizes, depositAddresses: string[]): Plan {
  const rand = prng(SEED);
  const address = () =>
    `0x${Array.from({ length: 5 }, () =>
      Math.floor(rand() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join('')}`;
  const other = (): Payment => ({ to: address(), amount: BigInt(1 + Math.floor(rand() * 1000)) * USDT });
  const blocks: PlannedBlock[] = Array.from({ length: s.blocks }, () => {
    const dispersed = rand() < 0.9 ? Array.from({ length: 2 + Math.floor(rand() * 11) }, other) : [];
    const single = rand() < 0.35 ? Array.from({ length: 1 + Math.floor(rand() * 2) }, other) : [];
    return { dispersed, single };
  });
  for (let k = 0; k < s.watched; k++) {
    const b = blocks[Math.floor(rand() * s.blocks)]!;
    (b.dispersed.length ? b.dispersed : b.single).push({ to: depositAddresses[k]!, amount: USDT });
  }
  let transfers = 0;
  let transactions = 0;
  for (const b of blocks) {
    transfers += b.dispersed.length + b.single.length;
    transactions += (b.dispersed.length ? 2 : 0) + b.single.length;
  }
  return { blocks, transfers, transactions };
}

// --- per-step timing of the scanner (wrapped methods of its instances; nothing in src/ changes) ----------

const rpcName = (args: any[]) =>
  args[0] === 'eth_getBlockByNumber'
    ? `rpc eth_getBlockByNumber ${args[1]?.[1] ? 'full' : 'header'}`
    : `rpc ${String(args[0])}`;

/** What ethers sends in one HTTP request: a batch of calls or one call. */
const httpName = (args: any[]) =>
  Array.isArray(args[0]) ? 'HTTP batch' : `HTTP ${String((args[0] as { method?: string })?.method)}`;

interface Counters {
  /** eth_getLogs calls the node refused (range too wide or too many results): each one is split in two. */
  logsRefused: number;
  /** JSON-RPC calls carried by ethers' batches. */
  batchedCalls: number;
  /** Passes the BullMQ scheduler started while the bench was running (turned away, not run). */
  scheduledPasses: number;
  /** Of those, during the catch-up. */
  scheduledInCatchUp: number;
}

function instrument(scanner: ChainScanner, devnet: EvmDevnet, t: MethodTimers, c: Counters) {
  const s = scanner as any;
  t.wrap(s, 'run', 'pass body');
  t.wrap(s, 'checkReorg', 'reorg check');
  t.wrap(s, 'creditConfirmed', 'creditConfirmed');
  const a = s.adapter;
  const rpc = a.rpc as (method: string, params: unknown[]) => Promise<unknown>;
  a.rpc = async (method: string, params: unknown[]) => {
    try {
      return await rpc.call(a, method, params);
    } catch (err) {
      if (method === 'eth_getLogs') c.logsRefused++;
      throw err;
    }
  };
  t.wrap(a, 'rpc', rpcName);
  t.wrap(a, 'head', 'adapter.head');
  t.wrap(a, 'finalizedHead', 'adapter.finalizedHead');
  t.wrap(a, 'scanRange', 'scanRange');
  t.wrap(a, 'logs', 'adapter.logs');
  for (const p of a.providers as JsonRpcProvider[]) {
    const send = (p as any)._send as (payload: unknown) => Promise<unknown>;
    (p as any)._send = (payload: unknown) => {
      if (t.active && Array.isArray(payload)) c.batchedCalls += payload.length;
      return send.call(p, payload);
    };
    t.wrap(p, '_send', httpName);
  }
  // The node's own work inside each request (the devnet runs in this process, behind its HTTP server).
  t.wrap(devnet.provider, 'request', (args) => `node ${String(args[0]?.method)}`);
  for (const m of [
    'setHead',
    'cursor',
    'watched',
    'recentBlocks',
    'record',
    'updateConfirmations',
    'uncredited',
  ])
    t.wrap(s.store, m, `store.${m}`);
  t.wrap(s.crediting, 'creditMany', 'creditMany');
}

/** Every chain's scheduled passes are turned away (and counted); the bench's own calls go through. */
function holdScheduler(app: App, c: Counters): (scanner: ChainScanner) => Promise<ScanPass> {
  let fromBench = false;
  for (const sc of app.workers!.scanning.scanners.values()) {
    const pass = sc.pass.bind(sc);
    sc.pass = async () => {
      if (!fromBench) {
        c.scheduledPasses++;
        return { skipped: true, scannedBlocks: 0, credited: 0 };
      }
      fromBench = false;
      return pass();
    };
  }
  return (scanner) => {
    fromBench = true;
    return scanner.pass();
  };
}

interface StepRow {
  label: string;
  calls: number;
  ms: number;
}

function stepRows(t: MethodTimers, passMs: number, passes: number): StepRow[] {
  const g = (n: string) => t.get(n);
  const sum = (label: string, ...names: string[]): StepRow => ({
    label,
    calls: names.reduce((c, n) => c + g(n).calls, 0),
    ms: names.reduce((c, n) => c + g(n).ms, 0),
  });
  const scan = g('scanRange');
  const blocks = g('rpc eth_getBlockByNumber full');
  const logs = g('rpc eth_getLogs');
  const receipts = g('rpc eth_getTransactionReceipt');
  const credit = g('creditMany');
  const creditConfirmed = g('creditConfirmed');
  const uncredited = g('store.uncredited');
  const rows: StepRow[] = [
    sum(
      'head + finalized head (eth_blockNumber, eth_getBlockByNumber "finalized")',
      'adapter.head',
      'adapter.finalizedHead',
    ),
    sum('reorg check (recent hashes from DB, one block header)', 'reorg check'),
    sum('setHead + cursor + watched addresses (DB)', 'store.setHead', 'store.cursor', 'store.watched'),
    sum('  of which: load the watched set (select address from deposits)', 'store.watched'),
    { label: `scanRange (${MAX_RANGE} blocks each)`, ...scan },
    {
      label: `  blocks: ${MAX_RANGE} eth_getBlockByNumber with transactions, ethers batch (wall)`,
      ...blocks,
    },
    { label: '    of which the HTTP request (ethers _send: stringify, POST, parse)', ...g('HTTP batch') },
    { label: `  logs: eth_getLogs per ${ADDRESSES_PER_FILTER} watched addresses, one at a time`, ...logs },
    { label: '    of which the HTTP request', ...g('HTTP eth_getLogs') },
    { label: '  receipts: eth_getTransactionReceipt per matching log, one at a time', ...receipts },
    { label: '    of which the HTTP request', ...g('HTTP eth_getTransactionReceipt') },
    {
      label: '  adapter JS: getAddress on every transaction and log, decoding',
      calls: scan.calls,
      ms: scan.ms - blocks.ms - logs.ms - receipts.ms,
    },
    sum('record (one DB transaction per range)', 'store.record'),
    sum('updateConfirmations (DB)', 'store.updateConfirmations'),
    { label: 'creditConfirmed', ...creditConfirmed },
    sum('  uncredited (DB, ≤ 1,000 per pass)', 'store.uncredited'),
    {
      label: '  select the deposits (DB, one query per pass)',
      calls: creditConfirmed.calls,
      ms: creditConfirmed.ms - uncredited.ms - credit.ms,
    },
    {
      label: '  creditMany (settings, then ledger batches with set-based guard and bookkeeping)',
      ...credit,
    },
  ];
  const top = [0, 1, 2, 4, 12, 13, 14].reduce((a, i) => a + rows[i]!.ms, 0);
  rows.push({ label: 'rest of the pass (advisory lock, bookkeeping)', calls: passes, ms: passMs - top });
  return rows;
}

function stepTable(rows: StepRow[], totalMs: number): string[] {
  return table(
    ['step', 'calls', 'seconds', 'share of the catch-up', 'ms per call'],
    rows.map((r) => [
      r.label,
      int(r.calls),
      (r.ms / 1000).toFixed(2),
      `${((r.ms / totalMs) * 100).toFixed(1)} %`,
      r.calls ? ms(r.ms / r.calls) : 'n/a',
    ]),
  );
}

// --- the phases ----------------------------------------------------------------------------------------

async function onePass(pass: () => Promise<ScanPass>): Promise<ScanPass> {
  for (let i = 0; i < 500; i++) {
    const r = await pass();
    if (!r.skipped) return r;
    await sleep(20); // a scheduled pass that started before the bench took over holds the chain's lock
  }
  throw new Error('the scanner lock was never free');
}

interface Generated {
  firstBlock: number;
  lastBlock: number;
  head: number;
  seconds: number;
  /** Transfer logs of the token in [firstBlock, lastBlock], and those paying a watched address. */
  logs: number;
  watchedLogs: number;
}

async function generateChain(devnet: EvmDevnet, plan: Plan, watched: Set<string>): Promise<Generated> {
  const t0 = performance.now();
  const firstBlock = (await devnet.blockNumber()) + 1;
  for (const [i, b] of plan.blocks.entries()) {
    if (b.dispersed.length) await devnet.disperseToken(devnet.usdt6, b.dispersed);
    for (const p of b.single) await devnet.sendToken(devnet.usdt6, p.to, p.amount);
    const mined = await devnet.mine(1);
    if (mined.number !== firstBlock + i)
      throw new Error(`mined block ${mined.number}, not ${firstBlock + i}`);
    if ((i + 1) % 1000 === 0)
      log(`  ${int(i + 1)} blocks mined (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const lastBlock = firstBlock + plan.blocks.length - 1;
  const head = (await devnet.mine(CONFIRMATIONS)).number; // the last payment gets 13 confirmations
  // What landed, read in-process (no provider limits): one Transfer log per planned transfer, or a revert.
  const logs = await devnet.request<{ topics: string[] }[]>('eth_getLogs', [
    {
      address: devnet.usdt6.address,
      topics: [TRANSFER_TOPIC],
      fromBlock: `0x${firstBlock.toString(16)}`,
      toBlock: `0x${lastBlock.toString(16)}`,
    },
  ]);
  const watchedTopics = new Set([...watched].map((a) => zeroPadValue(a, 32).toLowerCase()));
  const watchedLogs = logs.filter((l) => watchedTopics.has(l.topics[2]!.toLowerCase())).length;
  return {
    firstBlock,
    lastBlock,
    head,
    seconds: (performance.now() - t0) / 1000,
    logs: logs.length,
    watchedLogs,
  };
}

function ranges(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = from; start <= to; start += MAX_RANGE)
    out.push([start, Math.min(to, start + MAX_RANGE - 1)]);
  return out;
}

const hex = (n: number) => `0x${n.toString(16)}`;

type BaselineMode = 'logs' | 'receipts' | 'batched';

interface Baseline {
  mode: BaselineMode;
  blocks: number;
  seconds: number;
  httpRequests: number;
  calls: number;
  bytes: number;
  logs: number;
  receipts: number;
  refused: number;
  cpu: CpuSplit;
}

/**
 * The node and the transport alone, no database, no ethers: per range of MAX_RANGE blocks one batch of
 * eth_getBlockByNumber (with transactions), then eth_getLogs per 500 watched addresses one at a time
 * ('logs'), plus one eth_getTransactionReceipt per matching log one at a time as the adapter asks
 * ('receipts'), or all of a range's getLogs in one batch and all its receipts in another ('batched').
 */
async function bareFetch(
  url: string,
  from: number,
  to: number,
  watched: string[],
  token: string,
  mode: BaselineMode,
): Promise<Baseline> {
  let bytes = 0;
  let httpRequests = 0;
  let calls = 0;
  let logs = 0;
  let receipts = 0;
  let refused = 0;
  let id = 0;
  const call = (method: string, params: unknown[]) => ({ jsonrpc: '2.0', id: ++id, method, params });
  const post = async (body: object | object[]): Promise<any[]> => {
    httpRequests++;
    calls += Array.isArray(body) ? body.length : 1;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`baseline: HTTP ${res.status} ${text.slice(0, 200)}`);
    bytes += text.length;
    const parsed = JSON.parse(text) as any;
    const answers = (Array.isArray(parsed) ? parsed : [parsed]) as any[];
    for (const a of answers) {
      if (!a.error) continue;
      if (a.error.code === -32005) refused++;
      throw new Error(`baseline: ${a.error.code} ${a.error.message}`);
    }
    return answers.sort((x, y) => x.id - y.id).map((a) => a.result);
  };
  const filters = [] as (string | string[] | null)[][];
  for (let i = 0; i < watched.length; i += ADDRESSES_PER_FILTER) {
    const batch = watched.slice(i, i + ADDRESSES_PER_FILTER).map((a) => zeroPadValue(a, 32).toLowerCase());
    filters.push([TRANSFER_TOPIC, null, batch]);
  }
  const tokenLower = token.toLowerCase();
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  for (const [start, end] of ranges(from, to)) {
    const blocks = await post(
      Array.from({ length: end - start + 1 }, (_, i) => call('eth_getBlockByNumber', [hex(start + i), true])),
    );
    if (blocks.length !== end - start + 1 || blocks.some((b) => !b))
      throw new Error(`baseline: ${blocks.length} blocks at ${start}`);
    const logCalls = filters.map((topics) =>
      call('eth_getLogs', [{ fromBlock: hex(start), toBlock: hex(end), topics }]),
    );
    const found: any[] =
      mode === 'batched'
        ? (await post(logCalls)).flat()
        : await (async () => {
            const out: any[] = [];
            for (const c of logCalls) out.push(...(await post(c))[0]);
            return out;
          })();
    logs += found.length;
    if (mode === 'logs') continue;
    const matching = found.filter((l) => l.address.toLowerCase() === tokenLower);
    if (mode === 'batched' && matching.length) {
      await post(matching.map((l) => call('eth_getTransactionReceipt', [l.transactionHash])));
    } else {
      for (const l of matching) await post(call('eth_getTransactionReceipt', [l.transactionHash]));
    }
    receipts += matching.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    mode,
    blocks: to - from + 1,
    seconds,
    httpRequests,
    calls,
    bytes,
    logs,
    receipts,
    refused,
    cpu: cpuDone(),
  };
}

interface AdapterRun {
  seconds: number;
  transfers: number;
  unexpected: number;
  calls: number;
  httpRequests: number;
  cpu: CpuSplit;
}

/** EvmAdapter.scanRange over the same ranges, no database (nothing stored, nothing credited). */
async function adapterAlone(
  adapter: EvmAdapter,
  from: number,
  to: number,
  watched: Set<string>,
): Promise<AdapterRun> {
  let calls = 0;
  let httpRequests = 0;
  for (const p of (adapter as any).providers as JsonRpcProvider[]) {
    const send = (p as any)._send as (payload: unknown) => Promise<unknown>;
    (p as any)._send = (payload: unknown) => {
      httpRequests++;
      calls += Array.isArray(payload) ? payload.length : 1;
      return send.call(p, payload);
    };
  }
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  let transfers = 0;
  let unexpected = 0;
  for (const [start, end] of ranges(from, to)) {
    const r = await adapter.scanRange(start, end, watched);
    transfers += r.transfers.length;
    unexpected += r.unexpected.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, transfers, unexpected, calls, httpRequests, cpu: cpuDone() };
}

function destroyProviders(adapter: EvmAdapter): void {
  for (const p of (adapter as any).providers as JsonRpcProvider[]) p.destroy();
}

/**
 * What-if, not the shipped adapter: the same EvmAdapter with its JsonRpcProvider(s) rebuilt as the adapter
 * builds them plus `batchStallTime: 0`, so a lone call is sent at once instead of after ethers' 10 ms timer.
 */
function adapterWithoutStall(net: NetworkConfig): { adapter: EvmAdapter; destroy: () => void } {
  const adapter = new EvmAdapter(net);
  const a = adapter as any;
  destroyProviders(adapter);
  a.providers = (net.rpcUrls ?? [net.nodeUrl]).map((u) => {
    const req = new FetchRequest(u);
    req.timeout = 10_000;
    req.setThrottleParams({ maxAttempts: 1 });
    return new JsonRpcProvider(req, undefined, {
      cacheTimeout: -1,
      pollingInterval: 50,
      staticNetwork: true,
      batchStallTime: 0,
    });
  });
  return { adapter, destroy: () => destroyProviders(adapter) };
}

interface PassLine {
  scanned: number;
  credited: number;
  ms: number;
}

interface CatchUp {
  seconds: number;
  scannedBlocks: number;
  credited: number;
  passes: PassLine[];
  /** Seconds from the start until the cursor passed the head (all blocks scanned). */
  scannedAt: number;
  passMs: number;
  rows: StepRow[];
  nodeMs: [string, { calls: number; ms: number }][];
  http: { batches: number; batchedCalls: number; single: number };
  logsCalls: number;
  cpu: CpuSplit;
  profile: ProfileSummary | null;
}

async function catchUp(
  app: App,
  pass: () => Promise<ScanPass>,
  t: MethodTimers,
  c: Counters,
  s: Sizes,
  head: number,
): Promise<CatchUp> {
  const profPath = process.env.SCAN_EVM_CPU_PROF;
  const stopProfiler = profPath ? await startProfiler() : null;
  const scheduled0 = c.scheduledPasses;
  t.reset();
  c.batchedCalls = 0;
  t.active = true;
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  const passes: PassLine[] = [];
  let credited = 0;
  let scannedBlocks = 0;
  let scannedAt = Number.NaN;
  let passMs = 0;
  while (credited < s.watched) {
    if (passes.length >= MAX_PASSES || performance.now() - t0 > CATCH_UP_MAX_MS)
      throw new Error(`catch-up unfinished after ${passes.length} passes: ${credited}/${s.watched} credited`);
    const p0 = performance.now();
    const r = await onePass(pass);
    const took = performance.now() - p0;
    passMs += took;
    scannedBlocks += r.scannedBlocks;
    credited = await creditedCount(app, CHAIN);
    if (Number.isNaN(scannedAt) && (r.cursor ?? 0) > head) scannedAt = (performance.now() - t0) / 1000;
    passes.push({ scanned: r.scannedBlocks, credited: r.credited, ms: took });
    log(
      `  pass ${passes.length}: ${int(r.scannedBlocks)} blocks, ${int(r.credited)} credited in ${(took / 1000).toFixed(2)} s` +
        ` (cursor ${r.cursor}, head ${r.head}; ${int(credited)}/${int(s.watched)} credited)${r.error ? ` ERROR ${r.error}` : ''}`,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDone();
  t.active = false;
  c.scheduledInCatchUp = c.scheduledPasses - scheduled0;
  let profile: ProfileSummary | null = null;
  if (stopProfiler && profPath) {
    const p = await stopProfiler();
    saveProfile(p, profPath);
    profile = summarizeProfile(p);
    log(`CPU profile of the catch-up written to ${profPath}`);
  }
  const entries = t.entries();
  const single = entries
    .filter(([n]) => n.startsWith('HTTP ') && n !== 'HTTP batch')
    .reduce((a, [, v]) => a + v.calls, 0);
  return {
    seconds,
    scannedBlocks,
    credited,
    passes,
    scannedAt,
    passMs,
    rows: stepRows(t, passMs, passes.length),
    nodeMs: entries.filter(([n]) => n.startsWith('node ')).sort((x, y) => y[1].ms - x[1].ms),
    http: { batches: t.get('HTTP batch').calls, batchedCalls: c.batchedCalls, single },
    logsCalls: t.get('adapter.logs').calls,
    cpu,
    profile,
  };
}

// --- report --------------------------------------------------------------------------------------------

const f2 = (n: number) => n.toFixed(2);

function cpuLine(c: CpuSplit): string {
  const other = Math.max(0, c.machine - c.generator - c.postgres - c.redis);
  return (
    `CPU busy ${f2(c.machine)} of 2 cores: this process (app + devnet, one event loop) ${f2(c.generator)},` +
    ` PostgreSQL ${f2(c.postgres)}, Redis ${f2(c.redis)}, other (kernel, other processes) ${f2(other)}`
  );
}

interface Run {
  s: Sizes;
  plan: Plan;
  createSeconds: number;
  gen: Generated;
  bases: Baseline[];
  alone: AdapterRun;
  noStall: AdapterRun;
  up: CatchUp;
  counters: Counters;
  checks: ScanChecks;
  logLines: string[];
  stopMs: number;
}

const BASELINE_LABELS: Record<BaselineMode, string> = {
  logs: 'node alone: blocks (batches of 100) + eth_getLogs one at a time, no database',
  receipts: "node alone: the same + one eth_getTransactionReceipt per matching log (the scanner's requests)",
  batched: 'node alone, all batched: per range 1 request of blocks, 1 of all getLogs, 1 of all receipts',
};

function report(r: Run): string[] {
  const { s, gen, bases, alone, noStall, up, counters } = r;
  const blocks = gen.head - gen.firstBlock + 1;
  const oursRate = up.scannedBlocks / up.seconds;
  const base = bases.find((b) => b.mode === 'logs')!;
  const exact = bases.find((b) => b.mode === 'receipts')!;
  const baseRate = base.blocks / base.seconds;
  const row = (label: string, secs: number, credits: string, calls: number, requests: number) => [
    label,
    int(blocks),
    f2(secs),
    int(blocks / secs),
    credits,
    `${int(calls)} (${int(requests)})`,
    `${(blocks / secs / baseRate).toFixed(2)}×`,
  ];
  const scanMs = up.rows[4]!.ms + up.rows[12]!.ms; // scanRange + record
  const creditMs = up.rows[14]!.ms;
  const rpcCalls = up.http.batchedCalls + up.http.single;
  const stall = (rpcRow: number, httpRow: number) => up.rows[rpcRow]!.ms - up.rows[httpRow]!.ms;
  const nodeTotal = up.nodeMs.reduce((a, [, v]) => a + v.ms, 0);
  const expectedLogsCalls = Math.ceil(blocks / MAX_RANGE) * Math.ceil(s.addresses / ADDRESSES_PER_FILTER);
  const lines = [
    ...table(
      [
        'phase',
        'blocks',
        'seconds',
        'blocks/s',
        'credits/s',
        'JSON-RPC calls (HTTP requests)',
        'blocks/s vs the first row',
      ],
      [
        ...bases.map((b) => row(BASELINE_LABELS[b.mode], b.seconds, 'n/a', b.calls, b.httpRequests)),
        row(
          'EvmAdapter.scanRange alone over the same ranges, no database',
          alone.seconds,
          'n/a',
          alone.calls,
          alone.httpRequests,
        ),
        row(
          'the same with batchStallTime 0 (what-if: providers rebuilt in the bench)',
          noStall.seconds,
          'n/a',
          noStall.calls,
          noStall.httpRequests,
        ),
        row(
          `**ours: catch-up, passes until all ${int(s.watched)} payments are credited**`,
          up.seconds,
          int(up.credited / up.seconds),
          rpcCalls,
          up.http.batches + up.http.single,
        ),
      ],
    ),
    '',
    `- ratio ours / node alone: ${(oursRate / baseRate).toFixed(2)}× against blocks + logs,` +
      ` ${(oursRate / (exact.blocks / exact.seconds)).toFixed(2)}× against the scanner's exact requests (which take` +
      ` ${((exact.seconds / up.seconds) * 100).toFixed(0)} % of the catch-up's time when sent bare)`,
    `- scanning (scanRange + record): ${f2(scanMs / 1000)} s = ${int(up.scannedBlocks / (scanMs / 1000))} blocks/s;` +
      ` crediting (creditConfirmed): ${f2(creditMs / 1000)} s = ${int(up.credited / (creditMs / 1000))} credits/s,` +
      ` ${ms(creditMs / Math.max(1, up.credited))} each`,
    `- eth_getLogs: ${int(up.logsCalls)} calls by the scanner (${int(expectedLogsCalls)} = ranges × address batches` +
      ` without any split); refused by the devnet as too wide (maxLogsBlockRange ${int(MAX_LOGS_BLOCK_RANGE)})` +
      ` and split: ${int(counters.logsRefused)}; in the baselines: ${int(bases.reduce((a, b) => a + b.refused, 0))}` +
      ` (the scanner asks for ${MAX_RANGE} blocks at most)`,
    '',
    `catch-up, where the time went (timers around the scanner's methods, wall time; ${up.passes.length} passes,` +
      ` ${f2(up.passMs / 1000)} s inside pass()):`,
    '',
    ...stepTable(up.rows, up.seconds * 1000),
    '',
    `- ethers' queue (its 10 ms batchStallTime timer before each send, and dispatch) = rpc wall − HTTP:` +
      ` blocks ${f2(stall(5, 6) / 1000)} s, getLogs ${f2(stall(7, 8) / 1000)} s, receipts` +
      ` ${f2(stall(9, 10) / 1000)} s`,
    `- the node's own work inside those requests (hardhat provider.request, same process): ${f2(nodeTotal / 1000)} s —` +
      ` ${up.nodeMs
        .slice(0, 5)
        .map(([n, v]) => `${n.slice(5)} ${f2(v.ms / 1000)} s / ${int(v.calls)}`)
        .join(', ')}`,
    `- HTTP requests: ${int(up.http.batches)} batches carrying ${int(up.http.batchedCalls)} calls, ${int(up.http.single)} single calls`,
    `- cursor past the head after ${f2(up.scannedAt)} s; the last ${f2(up.seconds - up.scannedAt)} s only credited`,
    `- passes (blocks scanned / credited / seconds): ${up.passes
      .map((p) => `${int(p.scanned)}/${int(p.credited)}/${(p.ms / 1000).toFixed(1)}`)
      .join(', ')}`,
    `- catch-up ${cpuLine(up.cpu)}`,
    ...bases.map(
      (b) =>
        `- baseline ${b.mode}: ${int(b.httpRequests)} HTTP requests, ${int(b.calls)} calls,` +
        ` ${(b.bytes / 2 ** 20).toFixed(0)} MiB of JSON, ${int(b.logs)} logs, ${int(b.receipts)} receipts; ${cpuLine(b.cpu)}`,
    ),
    `- adapter alone: ${int(alone.transfers)} transfers, ${int(alone.unexpected)} unexpected; ${cpuLine(alone.cpu)}`,
    `- adapter alone, batchStallTime 0: ${int(noStall.transfers)} transfers; ${cpuLine(noStall.cpu)}`,
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
    `- set-up: ${int(s.addresses)} ERC20 deposits created (${CREATE_CONCURRENCY} at a time, in-process service calls)` +
      ` in ${f2(r.createSeconds)} s; chain generated before any timing: blocks ${gen.firstBlock}-${gen.lastBlock}` +
      ` (${int(gen.lastBlock - gen.firstBlock + 1)}) with ${int(r.plan.transactions)} transactions carrying` +
      ` ${int(gen.logs)} USDT Transfer logs (${int(r.plan.transfers)} planned), ${int(gen.watchedLogs)} of them paying a` +
      ` deposit, then ${CONFIRMATIONS} empty blocks (${int(blocks)} blocks to scan), in ${f2(gen.seconds)} s`,
    `- checks: chain_transfers ${fmt(c.transfers)}; deposits ${fmt(c.deposits)}; ledger deposit postings` +
      ` ${int(c.ledgerDeposits)}; credited ${c.creditedStars} Star minor units; unexpected funds ${c.unexpected};` +
      ` sum of balances ${c.balanceSum}; deposit.confirmed events ${int(c.confirmedEvents)}` +
      ` (${outboxLine(c)})`,
    `- scheduled passes (BullMQ, every ${SCHEDULE_MS / 1000} s, and once per chain at start-up) turned away while` +
      ` the bench drove the scanners: ${counters.scheduledPasses}, ${counters.scheduledInCatchUp} during the catch-up`,
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
  let devnet: EvmDevnet | null = null;
  let app: App | null = null;
  const cleanups: (() => void)[] = [];
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    devnet = await startEvmDevnet({
      automine: false,
      maxLogsBlockRange: MAX_LOGS_BLOCK_RANGE,
      finalizedDepth: FINALIZED_DEPTH,
    });
    log(`EVM devnet at ${devnet.url}; starting the app in this process (database ${BENCH_DB}, role all)`);
    const d = devnet;
    app = await createApp({
      migrate: true,
      role: 'all',
      logger,
      config: {
        ...benchAppConfig(BENCH_DB, REDIS_PREFIX, SCHEDULE_MS),
        ...evmDevnetChains(d, CONFIRMATIONS),
      },
    });
    const scanner = app.workers?.scanning.scanners.get(CHAIN);
    const net = app.chains.registry.byChain(CHAIN);
    if (!scanner || !net) throw new Error(`no scanner for ${CHAIN}`);
    const counters: Counters = {
      logsRefused: 0,
      batchedCalls: 0,
      scheduledPasses: 0,
      scheduledInCatchUp: 0,
    };
    const benchPass = holdScheduler(app, counters);
    const pass = () => benchPass(scanner);
    const timers = new MethodTimers();
    instrument(scanner, devnet, timers, counters);

    const merchant = await app.services.merchants.createMerchant('Bench scan-evm');
    await app.services.merchants.createKey(merchant.id, 'test', { rateLimitPerSecond: 1_000_000 });
    log(`merchant ${merchant.id}; creating ${int(s.addresses)} ERC20 deposits`);
    const c0 = performance.now();
    const addresses = await createDeposits(app, merchant.id, s.addresses, 'ERC20');
    const createSeconds = (performance.now() - c0) / 1000;
    log(`created ${int(s.addresses)} deposits in ${createSeconds.toFixed(1)} s`);

    await devnet.mine(1);
    await onePass(pass); // the cursor now sits right after the current head
    const cursor = Number(
      (await app.pool.query('select next_block from chain_cursors where chain = $1', [CHAIN])).rows[0]
        ?.next_block,
    );
    const plan = planChain(s, addresses);
    log(
      `generating ${int(s.blocks)} blocks: ${int(plan.transactions)} transactions, ${int(plan.transfers)} transfers` +
        ` (${int(s.watched)} to deposits), automine off`,
    );
    const watchedSet = await app.workers!.scanning.store.watched(CHAIN);
    const gen = await generateChain(devnet, plan, watchedSet);
    log(
      `generated blocks ${gen.firstBlock}-${gen.head} in ${gen.seconds.toFixed(1)} s; ${int(gen.logs)} Transfer logs,` +
        ` ${int(gen.watchedLogs)} to deposits`,
    );
    if (cursor !== gen.firstBlock)
      throw new Error(`scanner cursor ${cursor} is not the first block ${gen.firstBlock}`);
    if (gen.logs !== plan.transfers || gen.watchedLogs !== s.watched)
      throw new Error(
        `expected ${plan.transfers} Transfer logs (${s.watched} to deposits), found ${gen.logs} (${gen.watchedLogs})`,
      );
    await vacuumAnalyze(BENCH_DB);

    const bases: Baseline[] = [];
    for (const mode of ['logs', 'receipts', 'batched'] as const) {
      log(`baseline (${mode}): bare fetch of blocks ${gen.firstBlock}-${gen.head} from the devnet`);
      const b = await bareFetch(
        devnet.url,
        gen.firstBlock,
        gen.head,
        [...watchedSet],
        net.token.contract,
        mode,
      );
      log(`  ${int(b.blocks / b.seconds)} blocks/s (${b.seconds.toFixed(2)} s, ${int(b.logs)} logs)`);
      bases.push(b);
    }
    log('EvmAdapter.scanRange alone over the same ranges (no database)');
    const plainAdapter = new EvmAdapter(net);
    cleanups.push(() => destroyProviders(plainAdapter));
    const alone = await adapterAlone(plainAdapter, gen.firstBlock, gen.head, watchedSet);
    log(`  ${int((gen.head - gen.firstBlock + 1) / alone.seconds)} blocks/s (${alone.seconds.toFixed(2)} s)`);
    log('the same with batchStallTime 0 (what-if)');
    const what = adapterWithoutStall(net);
    cleanups.push(what.destroy);
    const noStall = await adapterAlone(what.adapter, gen.firstBlock, gen.head, watchedSet);
    log(
      `  ${int((gen.head - gen.firstBlock + 1) / noStall.seconds)} blocks/s (${noStall.seconds.toFixed(2)} s)`,
    );
    for (const a of [alone, noStall])
      if (a.transfers !== s.watched) throw new Error(`adapter alone found ${a.transfers} of ${s.watched}`);

    log(
      `catch-up: scanner passes from block ${gen.firstBlock} until ${int(s.watched)} payments are credited`,
    );
    const up = await catchUp(app, pass, timers, counters, s, gen.head);
    log(
      `  ${int(up.scannedBlocks / up.seconds)} blocks/s, ${int(up.credited / up.seconds)} credits/s (${up.seconds.toFixed(1)} s)`,
    );
    const checked = await scanChecks(app, CHAIN);

    const t = performance.now();
    await app.stop();
    app = null;
    await devnet.close();
    devnet = null;
    const stopMs = performance.now() - t;
    const lines = [
      `scan-evm benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      `- sizes: ${int(s.addresses)} watched ERC20 deposit addresses, ${int(s.blocks)} blocks + ${CONFIRMATIONS},` +
        ` ${int(plan.transfers)} USDT transfers in ${int(plan.transactions)} transactions, ${int(s.watched)} of them to` +
        ` watched addresses; confirmations ${CONFIRMATIONS}; devnet maxLogsBlockRange ${int(MAX_LOGS_BLOCK_RANGE)},` +
        ` finalized = head − ${int(FINALIZED_DEPTH)}`,
      `- chain generated before any timing in ${f2(gen.seconds)} s (${int(s.blocks / gen.seconds)} blocks/s through` +
        ' the devnet controls: disperseToken / sendToken, then mine(1))',
      '',
      ...report({
        s,
        plan,
        createSeconds,
        gen,
        bases,
        alone,
        noStall,
        up,
        counters,
        checks: checked,
        logLines,
        stopMs,
      }),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    for (const c of cleanups) c();
    await app?.stop().catch((e) => log(`could not stop the app: ${e.message}`));
    await devnet?.close().catch((e) => log(`could not close the devnet: ${e.message}`));
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) => log(`could not clean Redis: ${e.message}`));
  }
}
