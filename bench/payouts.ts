import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { FetchRequest, getAddress, Interface, JsonRpcProvider, Transaction, Wallet } from 'ethers';
import { type App, createApp } from '../src/app.js';
import type { NetworkConfig } from '../src/chains/registry.js';
import { loadConfig } from '../src/config.js';
import { type EvmDevnet, startEvmDevnet } from '../src/devnet/evm/index.js';
import type { PayoutProcessor, TickResult } from '../src/modules/payouts/processor.js';
import { evmDevnetChains, warnLog } from './lib/bench-app.js';
import { type CpuSplit, cpuMeter } from './lib/cpu.js';
import { type ProfileSummary, saveProfile, startProfiler, summarizeProfile } from './lib/cpu-profile.js';
import { checkpoint, dropDatabase, PG_BASE, vacuumAnalyze } from './lib/db.js';
import { userId } from './lib/fixtures.js';
import { forEachConcurrent } from './lib/load.js';
import { MethodTimers } from './lib/method-timers.js';
import { log, sleep } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int, machineLines, ms, serverLogSummary, table } from './lib/report.js';

// `npm run bench -- payouts`: the EVM payout worker (src/modules/payouts, src/chains/evm/hot-wallet.ts) on the
// hardhat devnet, in this process (app with role all, the hot wallet from PAYOUT_EVM_PRIVATE_KEY's config).
// Set-up, not timed: one merchant, N users credited 100 Stars each, N ERC20 withdrawals of 20 Stars (18.8 USDT
// after the 6 % fee) created through WithdrawalsService and approved by an admin (the service, as GraphQL's
// approveWithdrawal calls it), the hot wallet funded with USDT and ETH. Measured:
//  - send: PayoutProcessor.tick() passes back to back until all N are signed and broadcast → payouts/s;
//  - complete: the confirmations mined at once, then passes until all N are completed → completions/s (the
//    chain kept mining during the send phase, so the first payouts already completed there: counted apart);
//  - one more pass once everything is completed (what a pass costs with nothing to do);
//  - per pass and per step (timers around the processor's store and wallet methods; nothing in src/ changes),
//    and the pass's wall time split into "a DB statement in flight", "an RPC in flight", both, neither;
//  - baselines on the same devnet, no database: a bare ethers loop signing and sending N token transfers
//    from a second funded key with nonces counted locally; the same with the worker's per-payout RPCs (fee
//    data through the same 2 s cache, eth_estimateGas twice as the wallet asks it, send); and, for the
//    completions, eth_getTransactionReceipt + eth_blockNumber per transaction as the wallet's lookup does.
//
// Chain: automine OFF, and a loop mines one block every PAYOUTS_BLOCK_MS (default 2,000 ms: Polygon PoS; BSC
// and Ethereum are 0.75-3 s and 12 s) while transactions are sent. That is what a real node does:
// eth_sendRawTransaction answers once the transaction is in the mempool, and blocks come on the chain's clock
// carrying many transactions each. With automine every send would also build and execute a block before it
// answers (a slower send than any real node's, paid inside the measured loop), every payout would sit in its
// own block, and confirmations would grow with the number of sends instead of with time. The worker's passes
// also see what they see on a real chain: some of what they sent already mined (they follow it), most not.
// Mining runs in this process too (hardhat's EDR), so the node's work shares the two cores with the worker.
// One node default is changed to a real node's: eth_estimateGas without a block tag runs against 'latest'
// (geth's default) instead of hardhat's 'pending', whose cost grows with the mempool (estimateAtLatest).
//
// PAYOUTS_SCALE (0.01-5, default 1: N = 1,000) changes N; PAYOUTS_BLOCK_MS (100-12,000) the block interval;
// PAYOUTS_ESTIMATE_AT=pending keeps hardhat's eth_estimateGas default; PAYOUTS_CPU_PROF=<file> writes a V8 CPU
// profile of the send phase and prints where this process's main thread spent it.

const BENCH_DB = 'novapay_bench_payouts';
const REDIS_PREFIX = 'novapay-bench-payouts';
const NETWORK = 'ERC20';
const CHAIN = `${NETWORK}:test`;
const CONFIRMATIONS = 12;
const CREDIT_STARS = '100';
const WITHDRAW_STARS = 20;
const SETUP_CONCURRENCY = 16;
/** Untimed transfers from the baseline key first (ethers' signing, the devnet's HTTP path). */
const WARM_UP = 20;
/** Scheduled passes (BullMQ, and the NOTIFY on every approval): turned away and counted while the bench drives. */
const MONITOR_MS = 600_000;
const MAX_PASSES = 2_000;
const PHASE_MAX_MS = 10 * 60_000;
/** As src/chains/evm/hot-wallet.ts. */
const FEE_TTL_MS = 2_000;
const GAS_MARGIN_PERCENT = 125n;
const REQUEST_TIMEOUT_MS = 10_000;
const ERC20 = new Interface([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);

interface Sizes {
  n: number;
  blockMs: number;
  /** The block eth_estimateGas without one runs against (see the header). */
  estimateAt: 'latest' | 'pending';
}

function sizes(): Sizes {
  const raw = process.env.PAYOUTS_SCALE ?? '1';
  const s = Number(raw);
  if (!(s >= 0.01 && s <= 5)) throw new Error(`PAYOUTS_SCALE must be 0.01-5, not '${raw}'`);
  const rawBlock = process.env.PAYOUTS_BLOCK_MS ?? '2000';
  const blockMs = Number(rawBlock);
  if (!(blockMs >= 100 && blockMs <= 12_000))
    throw new Error(`PAYOUTS_BLOCK_MS must be 100-12000, not '${rawBlock}'`);
  const estimateAt = process.env.PAYOUTS_ESTIMATE_AT ?? 'latest';
  if (estimateAt !== 'latest' && estimateAt !== 'pending')
    throw new Error(`PAYOUTS_ESTIMATE_AT must be latest or pending, not '${estimateAt}'`);
  return { n: Math.max(1, Math.round(1_000 * s)), blockMs, estimateAt };
}

/**
 * eth_estimateGas without a block tag runs against 'latest', as geth does since go-ethereum#24363 (2023).
 * Hardhat's default is 'pending', which it builds by executing the whole mempool on every call: 0.2 ms per
 * pending transaction here, so each estimate would cost in proportion to how fast the sender fills the
 * mempool, and the faster loop would pay more per estimate.
 */
export function estimateAtLatest(devnet: EvmDevnet): void {
  const p = devnet.provider as any;
  const request = p.request.bind(p) as (a: { method: string; params?: unknown[] }) => Promise<unknown>;
  p.request = (a: { method: string; params?: unknown[] }) =>
    request(
      a.method === 'eth_estimateGas' && (a.params?.length ?? 0) === 1
        ? { method: a.method, params: [...a.params!, 'latest'] }
        : a,
    );
}

const freshAddress = () => getAddress(`0x${randomBytes(20).toString('hex')}`);
const f2 = (n: number) => n.toFixed(2);
const hex = (n: number) => `0x${n.toString(16)}`;

// --- the chain's clock ---------------------------------------------------------------------------------

interface MinedBlock {
  number: number;
  txs: number;
  ms: number;
}

/** One block every `intervalMs` (hardhat_mine of 1: the block takes the mempool, up to the gas limit). */
class MineLoop {
  readonly blocks: MinedBlock[] = [];
  private stopped = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(
    private readonly devnet: EvmDevnet,
    private readonly intervalMs: number,
  ) {}

  /** Loops not stopped yet: the bench stops them all on its way out, whatever failed. */
  static readonly running = new Set<MineLoop>();

  start(): this {
    MineLoop.running.add(this);
    this.done = (async () => {
      while (!this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopped) break;
        const t0 = performance.now();
        const b = await this.devnet.mine(1);
        const txs = Number(
          await this.devnet.request<string>('eth_getBlockTransactionCountByNumber', [hex(b.number)]),
        );
        this.blocks.push({ number: b.number, txs, ms: performance.now() - t0 });
      }
    })();
    return this;
  }

  async stop(): Promise<MinedBlock[]> {
    MineLoop.running.delete(this);
    this.stopped = true;
    this.wake?.();
    await this.done;
    return this.blocks;
  }
}

/** Mines until `address` has nothing pending, then `confirmations` more blocks; returns the blocks mined. */
async function mineOut(devnet: EvmDevnet, address: string, confirmations: number): Promise<number> {
  let mined = 0;
  for (let i = 0; i < 100; i++) {
    const [latest, pending] = await Promise.all(
      ['latest', 'pending'].map((tag) => devnet.request<string>('eth_getTransactionCount', [address, tag])),
    );
    if (latest === pending) break;
    await devnet.mine(1);
    mined++;
  }
  await devnet.mine(confirmations);
  return mined + confirmations;
}

// --- instrumentation (wrapped methods of the app's instances; nothing in src/ changes) --------------------

interface Probe {
  t: MethodTimers;
  /** Set while a pass the bench started runs: only those pass the hold, and only their statements count. */
  als: AsyncLocalStorage<true>;
  /** Scheduled passes (BullMQ scheduler, start-up pass, the NOTIFY of each approval) turned away. */
  scheduled: number;
  /** SQL statements sent inside bench passes, and how many of them were COMMIT. */
  statements: number;
  commits: number;
  /** Open transactions store.open() returned in the current pass. */
  lastOpen: number;
}

function instrument(app: App, processor: PayoutProcessor, devnet: EvmDevnet): Probe {
  const t = new MethodTimers();
  const probe: Probe = {
    t,
    als: new AsyncLocalStorage<true>(),
    scheduled: 0,
    statements: 0,
    commits: 0,
    lastOpen: 0,
  };
  const inPass = () => probe.als.getStore() === true;
  const p = processor as any;

  // The hold: the BullMQ worker's job calls processor.tick(); only the bench's passes run.
  const tick = p.tick.bind(p) as () => Promise<TickResult>;
  p.tick = async (): Promise<TickResult> => {
    if (!inPass()) {
      probe.scheduled++;
      return { skipped: true, sent: 0, completed: 0, failed: 0, replaced: 0, waiting: 0, alert: null };
    }
    return tick();
  };

  // Every RPC the hot wallet sends goes through its one JsonRpcProvider's send() (ethers' getFeeData and
  // Contract calls included).
  const provider = p.wallet.provider() as JsonRpcProvider;
  const send = provider.send.bind(provider);
  provider.send = async (method: string, params: unknown[] | Record<string, unknown>) => {
    if (!t.active) return send(method, params);
    const done = [t.start('RPC (any)'), t.start('I/O (any)'), t.start(`rpc ${method}`)];
    try {
      return await send(method, params);
    } finally {
      for (const d of done) d();
    }
  };

  // Every SQL statement of a pass: pool.query, and the statements of clients taken with pool.connect().
  const timeDb = (r: unknown, text: unknown) => {
    if (!t.active || !inPass() || !(r instanceof Promise)) return r;
    probe.statements++;
    if (typeof text === 'string' && /^\s*commit/i.test(text)) probe.commits++;
    const done = [t.start('DB (any)'), t.start('I/O (any)')];
    return r.finally(() => {
      for (const d of done) d();
    });
  };
  const pool = app.pool as any;
  const query = pool.query.bind(pool);
  const wrapped = new WeakSet<object>();
  const wrapClient = (c: any) => {
    if (!c || wrapped.has(c)) return c;
    wrapped.add(c);
    const q = c.query.bind(c);
    c.query = (...args: any[]) => timeDb(q(...args), typeof args[0] === 'string' ? args[0] : args[0]?.text);
    return c;
  };
  pool.query = (...args: any[]) => {
    // pg-pool's own query() takes a client with connect(cb) and calls client.query with a callback (untimed
    // there): the statement is timed here, acquiring the client included.
    return timeDb(query(...args), typeof args[0] === 'string' ? args[0] : args[0]?.text);
  };
  const connect = pool.connect.bind(pool);
  pool.connect = (cb?: (err: Error | undefined, c: any, release: any) => void) =>
    cb
      ? connect((err: Error | undefined, c: any, release: any) => cb(err, wrapClient(c), release))
      : connect().then(wrapClient);

  // The steps.
  t.wrap(p, 'follow', 'follow');
  t.wrap(p, 'send', 'send');
  const store = p.store;
  for (const m of [
    'open',
    'approved',
    'inFlight',
    'recordSigned',
    'markBroadcast',
    'touchBroadcast',
    'markMined',
    'markUnmined',
    'recordBalances',
    'setWaiting',
    'recordReplacement',
  ])
    t.wrap(store, m, `store.${m}`);
  const open = store.open;
  store.open = async (...args: any[]) => {
    const r = await open(...args);
    probe.lastOpen = r.length;
    return r;
  };
  for (const m of ['lookup', 'balances', 'feeCost', 'prepare', 'broadcast', 'chainNonce'])
    t.wrap(p.wallet, m, `wallet.${m}`);
  t.wrap(p.ledger, 'post', 'ledger.post');
  // The node's own work inside each request (hardhat in this process; the mine loop's calls included).
  t.wrap(devnet.provider, 'request', (args) => `node ${String(args[0]?.method)}`);
  return probe;
}

// --- set-up --------------------------------------------------------------------------------------------

interface SetUp {
  ids: string[];
  seconds: { credit: number; create: number; approve: number };
}

async function setUp(app: App, merchantId: string, n: number): Promise<SetUp> {
  const tenant = { merchantId, mode: 'test' as const };
  const t0 = performance.now();
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    await app.services.ledger.adjust(tenant, {
      userId: userId(i),
      amount: CREDIT_STARS,
      direction: 'credit',
      reason: 'bench funding',
      actor: 'bench',
    });
  });
  const t1 = performance.now();
  log(`  ${int(n)} users credited ${CREDIT_STARS} Stars each in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const ids = new Array<string>(n);
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    const w = await app.services.withdrawals.create(tenant, {
      userId: userId(i),
      amount: WITHDRAW_STARS,
      walletAddress: freshAddress(),
      network: NETWORK,
    });
    ids[i] = w.id;
  });
  const t2 = performance.now();
  log(`  ${int(n)} withdrawals created in ${((t2 - t1) / 1000).toFixed(1)} s`);
  await forEachConcurrent(n, SETUP_CONCURRENCY, async (i) => {
    await app.services.withdrawals.approve(tenant, ids[i]!, 'admin:bench');
  });
  const t3 = performance.now();
  log(`  ${int(n)} approved (admin) in ${((t3 - t2) / 1000).toFixed(1)} s`);
  return {
    ids,
    seconds: { credit: (t1 - t0) / 1000, create: (t2 - t1) / 1000, approve: (t3 - t2) / 1000 },
  };
}

// --- baselines: the node alone, no database --------------------------------------------------------------

/** As EvmHotWallet builds its provider. */
export function walletLikeProvider(url: string, chainId: number): JsonRpcProvider {
  const req = new FetchRequest(url);
  req.timeout = REQUEST_TIMEOUT_MS;
  req.setThrottleParams({ maxAttempts: 1 });
  return new JsonRpcProvider(req, chainId, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export async function readFees(p: JsonRpcProvider): Promise<Fees> {
  const d = await p.getFeeData();
  const max = d.maxFeePerGas ?? d.gasPrice!;
  const priority = d.maxPriorityFeePerGas ?? 0n;
  return { maxFeePerGas: max, maxPriorityFeePerGas: priority > max ? max : priority };
}

type BaselineMode = 'bare' | 'worker-rpcs';

interface Baseline {
  mode: BaselineMode;
  n: number;
  seconds: number;
  rpcCalls: Record<string, number>;
  hashes: string[];
  recipients: { to: string; units: bigint }[];
  blocks: MinedBlock[];
  cpu: CpuSplit;
}

/**
 * N token transfers from `key`, one at a time, nonces counted here. 'bare': fee caps and gas limit read once
 * before the loop, then sign + eth_sendRawTransaction. 'worker-rpcs': per transfer what EvmHotWallet asks
 * for one payout: feeCost (fee data, cached 2 s, and eth_estimateGas, in parallel), then sign (fee data
 * again from the cache, eth_estimateGas again, sign, parse the hash), then eth_sendRawTransaction.
 */
async function baselineSend(
  devnet: EvmDevnet,
  key: string,
  token: string,
  units: bigint,
  n: number,
  mode: BaselineMode,
  blockMs: number,
): Promise<Baseline> {
  const p = walletLikeProvider(devnet.url, devnet.chainId);
  const signer = new Wallet(key);
  const rpcCalls: Record<string, number> = {};
  let stopLater: (() => Promise<unknown>) | null = null;
  const sendRpc = p.send.bind(p);
  p.send = (method: string, params: unknown[] | Record<string, unknown>) => {
    rpcCalls[method] = (rpcCalls[method] ?? 0) + 1;
    return sendRpc(method, params);
  };
  try {
    let nonce = Number(await p.send('eth_getTransactionCount', [signer.address, 'pending']));
    const estimate = async (to: string) =>
      (BigInt(
        await p.send('eth_estimateGas', [
          { from: signer.address, to: token, data: ERC20.encodeFunctionData('transfer', [to, units]) },
        ]),
      ) *
        GAS_MARGIN_PERCENT) /
      100n;
    let cache = { at: Date.now(), fees: await readFees(p) };
    const fees = async () => {
      if (Date.now() - cache.at < FEE_TTL_MS) return cache.fees;
      cache = { at: Date.now(), fees: await readFees(p) };
      return cache.fees;
    };
    const fixedGas = await estimate(freshAddress());
    for (const k of Object.keys(rpcCalls)) delete rpcCalls[k];
    const recipients = Array.from({ length: n }, () => ({ to: freshAddress(), units }));
    const hashes: string[] = [];
    const loop = new MineLoop(devnet, blockMs).start();
    stopLater = () => loop.stop();
    const cpuDone = cpuMeter();
    const t0 = performance.now();
    for (const r of recipients) {
      let f = cache.fees;
      let gasLimit = fixedGas;
      if (mode === 'worker-rpcs') {
        await Promise.all([fees(), estimate(r.to)]); // feeCost: the budget check
        f = await fees();
        gasLimit = await estimate(r.to);
      }
      const raw = await signer.signTransaction({
        type: 2,
        chainId: devnet.chainId,
        nonce: nonce++,
        to: token,
        data: ERC20.encodeFunctionData('transfer', [r.to, r.units]),
        value: 0n,
        gasLimit,
        maxFeePerGas: f.maxFeePerGas,
        maxPriorityFeePerGas: f.maxPriorityFeePerGas,
      });
      if (mode === 'worker-rpcs') hashes.push(Transaction.from(raw).hash!);
      const hash = await p.send('eth_sendRawTransaction', [raw]);
      if (mode === 'bare') hashes.push(hash);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDone();
    stopLater = null;
    const blocks = await loop.stop();
    return { mode, n, seconds, rpcCalls, hashes, recipients, blocks, cpu };
  } finally {
    await stopLater?.(); // a failed loop must not leave blocks being mined behind it
    p.destroy();
  }
}

interface FollowBaseline {
  n: number;
  seconds: number;
  mined: number;
  cpu: CpuSplit;
}

type NodeWork = [string, { calls: number; ms: number }][];

/** Runs a baseline with the timers on: only the node's own work is timed outside the app's passes. */
async function nodeTimed<T>(probe: Probe, fn: () => Promise<T>): Promise<T & { node: NodeWork }> {
  probe.t.reset();
  probe.t.active = true;
  try {
    const out = await fn();
    return { ...out, node: probe.t.entries().filter(([x]) => x.startsWith('node ')) };
  } finally {
    probe.t.active = false;
  }
}

/** What EvmHotWallet.lookup asks per open transaction: its receipt, then eth_blockNumber; one at a time. */
async function baselineFollow(devnet: EvmDevnet, hashes: string[]): Promise<FollowBaseline> {
  const p = walletLikeProvider(devnet.url, devnet.chainId);
  try {
    const cpuDone = cpuMeter();
    const t0 = performance.now();
    let mined = 0;
    for (const h of hashes) {
      const receipt = await p.send('eth_getTransactionReceipt', [h]);
      if (!receipt) continue;
      const head = Number(await p.send('eth_blockNumber', []));
      if (Number(receipt.status) === 1 && head - Number(receipt.blockNumber) + 1 >= CONFIRMATIONS) mined++;
    }
    return { n: hashes.length, seconds: (performance.now() - t0) / 1000, mined, cpu: cpuDone() };
  } finally {
    p.destroy();
  }
}

// --- ours ------------------------------------------------------------------------------------------------

interface PassLine {
  ms: number;
  sent: number;
  completed: number;
  open: number;
  dbMs: number;
  rpcMs: number;
  statements: number;
}

interface Phase {
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

async function countState(app: App, ids: string[], states: string[]): Promise<number> {
  const r = await app.pool.query<{ n: number }>(
    'select count(*)::int as n from withdrawals where id = any($1) and payout_state = any($2)',
    [ids, states],
  );
  return r.rows[0]!.n;
}

/** Passes back to back until `done()` says so; a pass turned away by a running one is retried. */
async function passesUntil(
  app: App,
  processor: PayoutProcessor,
  probe: Probe,
  label: string,
  done: () => Promise<{ ok: boolean; progress: string }>,
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
  const passes: PassLine[] = [];
  let passMs = 0;
  try {
    for (;;) {
      if (passes.length >= MAX_PASSES || performance.now() - t0 > PHASE_MAX_MS)
        throw new Error(`${label}: unfinished after ${passes.length} passes`);
      const before = {
        db: t.get('DB (any)').ms,
        rpc: t.get('RPC (any)').ms,
        statements: probe.statements,
      };
      probe.lastOpen = 0;
      const p0 = performance.now();
      const r = await probe.als.run(true, () => processor.tick());
      const took = performance.now() - p0;
      if (r.skipped) {
        await sleep(20); // the start-up pass of the BullMQ worker still holds the wallet's lock
        continue;
      }
      passMs += took;
      const line: PassLine = {
        ms: took,
        sent: r.sent,
        completed: r.completed,
        open: probe.lastOpen,
        dbMs: t.get('DB (any)').ms - before.db,
        rpcMs: t.get('RPC (any)').ms - before.rpc,
        statements: probe.statements - before.statements,
      };
      passes.push(line);
      const state = await done();
      log(
        `  pass ${passes.length}: ${int(r.sent)} sent, ${int(r.completed)} completed, ${int(line.open)} open at the start,` +
          ` ${(took / 1000).toFixed(2)} s (DB ${(line.dbMs / 1000).toFixed(2)} s, RPC ${(line.rpcMs / 1000).toFixed(2)} s);` +
          ` ${state.progress}${r.alert ? `; alert: ${r.alert}` : ''}`,
      );
      if (state.ok) break;
    }
  } catch (err) {
    await loop?.stop(); // no blocks mined behind a failed phase
    throw err;
  } finally {
    t.active = false;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDone();
  const blocks = loop ? await loop.stop() : [];
  let profile: ProfileSummary | null = null;
  if (stopProfiler && profPath) {
    const p = await stopProfiler();
    saveProfile(p, profPath);
    profile = summarizeProfile(p);
    log(`CPU profile of the ${label} phase written to ${profPath}`);
  }
  const ledger1 = ledgerStats(app);
  const events1 = await eventCounts(app);
  const events = Object.fromEntries(
    Object.entries(events1)
      .map(([k, v]) => [k, v - (events0[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
  return {
    seconds,
    passes,
    timers: t.entries(),
    passMs,
    statements: probe.statements,
    commits: probe.commits,
    blocks,
    cpu,
    events,
    ledger: { batches: ledger1.batches - ledger0.batches, items: ledger1.items - ledger0.items },
    profile,
  };
}

// --- checks (not timed) --------------------------------------------------------------------------------

interface Checks {
  statuses: Record<string, number>;
  txStatuses: Record<string, number>;
  nonces: { distinct: number; min: number; max: number; rawMatch: number };
  chainNonce: number;
  recipientsPaid: number;
  recipientsWrong: string[];
  paidUnits: bigint;
  expectedUnits: bigint;
  hotTokenLeft: bigint;
  inFlightStars: string;
  balanceSum: string;
  events: Record<string, number>;
  unpublished: number;
  baselinePaid: number;
  baselineExpected: number;
}

async function checks(
  app: App,
  devnet: EvmDevnet,
  ids: string[],
  hot: string,
  hotFundedUnits: bigint,
  baselineRecipients: { to: string; units: bigint }[],
): Promise<Checks> {
  const q = async <T = any>(sql: string, params: unknown[] = []) =>
    (await app.pool.query(sql, params)).rows as T[];
  const byStatus = async (sql: string) =>
    Object.fromEntries((await q(sql, [ids])).map((r: any) => [r.status, Number(r.n)]));
  const ws = await q<{ wallet_address: string; amount_token_minor: string; payout_nonce: bigint | null }>(
    'select wallet_address, amount_token_minor, payout_nonce from withdrawals where id = any($1)',
    [ids],
  );
  const nonces = ws.filter((w) => w.payout_nonce !== null).map((w) => Number(w.payout_nonce));
  const txs = await q<{ raw_tx: string; nonce: bigint; status: string }>(
    `select t.raw_tx, t.nonce, t.status from payout_transactions t where t.withdrawal_id = any($1)`,
    [ids],
  );
  const rawMatch = txs.filter((x) => BigInt(Transaction.from(x.raw_tx).nonce) === BigInt(x.nonce)).length;
  let recipientsPaid = 0;
  let paidUnits = 0n;
  let expectedUnits = 0n;
  const recipientsWrong: string[] = [];
  for (const w of ws) {
    const got = await devnet.tokenBalance(devnet.usdt6, w.wallet_address);
    expectedUnits += BigInt(w.amount_token_minor);
    paidUnits += got;
    if (got === BigInt(w.amount_token_minor)) recipientsPaid++;
    else if (recipientsWrong.length < 5)
      recipientsWrong.push(`${w.wallet_address} has ${got}, expected ${w.amount_token_minor}`);
  }
  let baselinePaid = 0;
  for (const r of baselineRecipients)
    if ((await devnet.tokenBalance(devnet.usdt6, r.to)) === r.units) baselinePaid++;
  const events = Object.fromEntries(
    (await q('select type, count(*)::int as n from events group by type')).map((r: any) => [r.type, r.n]),
  );
  return {
    statuses: await byStatus(
      'select status, count(*)::int as n from withdrawals where id = any($1) group by status',
    ),
    txStatuses: await byStatus(
      'select status, count(*)::int as n from payout_transactions where withdrawal_id = any($1) group by status',
    ),
    nonces: {
      distinct: new Set(nonces).size,
      min: Math.min(...nonces),
      max: Math.max(...nonces),
      rawMatch,
    },
    chainNonce: Number(await devnet.request<string>('eth_getTransactionCount', [hot, 'latest'])),
    recipientsPaid,
    recipientsWrong,
    paidUnits,
    expectedUnits,
    hotTokenLeft: hotFundedUnits - (await devnet.tokenBalance(devnet.usdt6, hot)),
    inFlightStars: (
      await q(
        `select coalesce(sum(balance_minor), 0)::text as s from accounts where kind = 'system' and code = 'payouts_in_flight'`,
      )
    )[0].s,
    balanceSum: (await q('select coalesce(sum(balance_minor), 0)::text as s from accounts'))[0].s,
    events,
    unpublished: (await q('select count(*)::int as n from events where published_at is null'))[0].n,
    baselinePaid,
    baselineExpected: baselineRecipients.length,
  };
}

// --- report ----------------------------------------------------------------------------------------------

function cpuLine(c: CpuSplit): string {
  const other = Math.max(0, c.machine - c.generator - c.postgres - c.redis);
  return (
    `CPU busy ${f2(c.machine)} of 2 cores: this process (app + devnet + bench, one event loop; EDR's own threads)` +
    ` ${f2(c.generator)}, PostgreSQL ${f2(c.postgres)}, Redis ${f2(c.redis)}, other (kernel, other processes) ${f2(other)}`
  );
}

function blocksLine(blocks: MinedBlock[]): string {
  if (!blocks.length) return 'no block mined';
  const txs = blocks.map((b) => b.txs);
  const busy = blocks.filter((b) => b.txs > 0);
  return (
    `${blocks.length} blocks mined (${blocks[0]!.number}-${blocks.at(-1)!.number}), ${int(txs.reduce((a, b) => a + b, 0))}` +
    ` transactions, ${busy.length ? `${int(Math.min(...busy.map((b) => b.txs)))}-${int(Math.max(...txs))}` : '0'} per` +
    ` non-empty block, mining ${ms(blocks.reduce((a, b) => a + b.ms, 0) / blocks.length)} per block on average`
  );
}

function timerMap(p: Phase): Map<string, { calls: number; ms: number }> {
  return new Map(p.timers);
}

const stepMs = (p: Phase, name: string) => p.timers.find(([x]) => x === name)?.[1].ms ?? 0;

interface StepRow {
  label: string;
  calls: number;
  ms: number;
}

function stepRows(p: Phase): StepRow[] {
  const m = timerMap(p);
  const g = (n: string) => m.get(n) ?? { calls: 0, ms: 0 };
  const row = (label: string, ...names: string[]): StepRow => ({
    label,
    calls: names.reduce((a, n) => a + g(n).calls, 0),
    ms: names.reduce((a, n) => a + g(n).ms, 0),
  });
  const follow = g('follow');
  const send = g('send');
  const passes = p.passes.length;
  const rows: StepRow[] = [
    row('follow: every open transaction, one at a time', 'follow'),
    row('  store.open (DB: open transactions and their withdrawals)', 'store.open'),
    row('  wallet.lookup (eth_getTransactionReceipt, + eth_blockNumber once mined)', 'wallet.lookup'),
    row('  store.markMined (DB transaction + withdrawal.updated)', 'store.markMined'),
    row(
      '  ledger.post of completePayout (batched ledger transaction, in parallel with lookups)',
      'ledger.post',
    ),
    row('wallet.balances (balanceOf per network + eth_getBalance)', 'wallet.balances'),
    row('send: new payouts, one at a time', 'send'),
    row('  store.approved + store.inFlight (DB)', 'store.approved', 'store.inFlight'),
    row('  wallet.feeCost (fee data from the 2 s cache or the node, eth_estimateGas)', 'wallet.feeCost'),
    row(
      '  wallet.prepare before that transaction (fee data, eth_estimateGas, from the caches)',
      'wallet.prepare',
    ),
    row(
      '  store.recordSigned (DB transaction: withdrawal FOR UPDATE, nonce counter FOR UPDATE, local signing, insert, update, audit, event)',
      'store.recordSigned',
    ),
    row('  wallet.broadcast (eth_sendRawTransaction)', 'wallet.broadcast'),
    row('  store.markBroadcast (DB transaction + withdrawal.updated)', 'store.markBroadcast'),
    row('store.recordBalances (DB)', 'store.recordBalances'),
    {
      label: 'rest of the pass (advisory lock and unlock, pass bookkeeping)',
      calls: passes,
      ms: p.passMs - follow.ms - send.ms - g('wallet.balances').ms - g('store.recordBalances').ms,
    },
  ];
  return rows;
}

function stepTable(p: Phase): string[] {
  const total = p.seconds * 1000;
  return table(
    ['step', 'calls', 'seconds', 'share of the phase', 'ms per call'],
    stepRows(p).map((r) => [
      r.label,
      int(r.calls),
      f2(r.ms / 1000),
      `${((r.ms / total) * 100).toFixed(1)} %`,
      r.calls ? ms(r.ms / r.calls) : 'n/a',
    ]),
  );
}

function splitLine(p: Phase): string {
  const m = timerMap(p);
  const db = m.get('DB (any)')?.ms ?? 0;
  const rpc = m.get('RPC (any)')?.ms ?? 0;
  const io = m.get('I/O (any)')?.ms ?? 0;
  const both = db + rpc - io;
  const pct = (x: number) => `${((x / p.passMs) * 100).toFixed(0)} %`;
  return (
    `wall time inside the passes ${f2(p.passMs / 1000)} s: a DB statement in flight ${f2(db / 1000)} s (${pct(db)}),` +
    ` an RPC in flight ${f2(rpc / 1000)} s (${pct(rpc)}), both at once ${f2(both / 1000)} s, neither (JS on the` +
    ` event loop: signing, ethers, pg protocol, bookkeeping, and waiting for the loop) ${f2((p.passMs - io) / 1000)} s` +
    ` (${pct(p.passMs - io)})`
  );
}

function rpcLine(p: Phase, per: number, perLabel: string): string {
  const rpcs = p.timers
    .filter(([n]) => n.startsWith('rpc '))
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([n, v]) => `${n.slice(4)} ${int(v.calls)} (${f2(v.ms / 1000)} s)`);
  const total = p.timers.filter(([n]) => n.startsWith('rpc ')).reduce((a, [, v]) => a + v.calls, 0);
  return `RPCs: ${int(total)} = ${f2(total / per)} per ${perLabel}: ${rpcs.join(', ') || 'none'}`;
}

function nodeLine(work: NodeWork): string {
  const node = work.filter(([n]) => n.startsWith('node ')).sort((a, b) => b[1].ms - a[1].ms);
  const total = node.reduce((a, [, v]) => a + v.ms, 0);
  return (
    `the node's own work (hardhat provider.request in this process, the mine loop's included): ${f2(total / 1000)} s —` +
    ` ${node
      .slice(0, 6)
      .map(([n, v]) => `${n.slice(5)} ${f2(v.ms / 1000)} s / ${int(v.calls)}`)
      .join(', ')}`
  );
}

function profileLines(p: ProfileSummary | null): string[] {
  if (!p) return [];
  return [
    `CPU profile of the send phase (this process's main thread, ${f2(p.seconds)} s sampled, self time by part of` +
      ' the code; "scanner (jobs)" is jobs/, "other modules" includes src/modules/payouts):',
    '',
    ...table(
      ['part', 'seconds', 'share'],
      p.parts.slice(0, 14).map(([x, sec]) => [x, f2(sec), `${((sec / p.seconds) * 100).toFixed(1)} %`]),
    ),
    '',
    'functions of this repository by inclusive time:',
    '',
    ...table(
      ['function', 'seconds'],
      p.functions.map(([fn, sec]) => [`\`${fn}\``, f2(sec)]),
    ),
    '',
  ];
}

function passesLine(p: Phase): string {
  return p.passes
    .map(
      (x) =>
        `${int(x.sent)}/${int(x.completed)}/${int(x.open)}/${f2(x.ms / 1000)}/${f2(x.dbMs / 1000)}/${f2(x.rpcMs / 1000)}`,
    )
    .join(', ');
}

interface Run {
  s: Sizes;
  setup: SetUp;
  bare: Baseline & { node: NodeWork };
  rpcs: Baseline & { node: NodeWork };
  follow: FollowBaseline & { node: NodeWork };
  sendPhase: Phase;
  completePhase: Phase;
  /** One more pass once everything is completed. */
  idlePhase: Phase;
  confirmBlocks: number;
  checks: Checks;
  scheduled: number;
  logLines: string[];
  stopMs: number;
}

function report(r: Run): string[] {
  const { s, bare, rpcs, follow, sendPhase, completePhase } = r;
  const n = s.n;
  const rate = (x: number, secs: number) => x / secs;
  const bareRate = rate(n, bare.seconds);
  const rpcsRate = rate(n, rpcs.seconds);
  const oursSend = rate(n, sendPhase.seconds);
  const sum = (p: Phase, k: 'sent' | 'completed') => p.passes.reduce((a, x) => a + x[k], 0);
  const lookups = (p: Phase) => p.timers.find(([x]) => x === 'wallet.lookup')?.[1].calls ?? 0;
  const doneEarly = sum(sendPhase, 'completed');
  const doneInPhase = sum(completePhase, 'completed');
  const oursDone = rate(doneInPhase, completePhase.seconds);
  const oursFollowed = rate(lookups(completePhase), completePhase.seconds);
  const followRate = rate(follow.n, follow.seconds);
  const idle = r.idlePhase;
  const idleLedger = idle.ledger.items;
  const calls = (b: Baseline) => Object.values(b.rpcCalls).reduce((a, v) => a + v, 0);
  const oursCalls = (p: Phase) =>
    p.timers.filter(([x]) => x.startsWith('rpc ')).reduce((a, [, v]) => a + v.calls, 0);
  const row = (label: string, count: number, secs: number, unit: string, rpc: number, vs: string) => [
    label,
    int(count),
    f2(secs),
    `${int(count / secs)} ${unit}`,
    `${int(rpc)} (${f2(rpc / count)})`,
    vs,
  ];
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const c = r.checks;
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ') || 'none';
  const lines = [
    ...table(
      ['phase', 'transactions', 'seconds', 'rate', 'RPC calls (per transaction)', 'ours / baseline'],
      [
        row(
          'bare ethers: sign + eth_sendRawTransaction, local nonces',
          n,
          bare.seconds,
          '/s',
          calls(bare),
          '',
        ),
        row(
          "bare ethers + the worker's per-payout RPCs (fee data, eth_estimateGas ×2, send)",
          n,
          rpcs.seconds,
          '/s',
          calls(rpcs),
          '',
        ),
        row(
          `**ours: passes until all ${int(n)} are signed and broadcast**`,
          n,
          sendPhase.seconds,
          'payouts/s',
          oursCalls(sendPhase),
          `${x(oursSend, bareRate)} bare, ${x(oursSend, rpcsRate)} with the RPCs`,
        ),
        row(
          'bare ethers: eth_getTransactionReceipt + eth_blockNumber per transaction, after the confirmations',
          follow.n,
          follow.seconds,
          'lookups/s',
          follow.n * 2,
          '',
        ),
        row(
          `**ours: the confirmations mined, passes until all ${int(n)} are completed** (${int(doneEarly)} already` +
            ` were, during the send phase)`,
          doneInPhase,
          completePhase.seconds,
          'completions/s',
          oursCalls(completePhase),
          `${x(oursFollowed, followRate)} per transaction followed (${int(oursFollowed)}/s)`,
        ),
      ],
    ),
    '',
    `- send: ours ${int(oursSend)} payouts/s against ${int(bareRate)}/s bare (${x(oursSend, bareRate)}) and` +
      ` ${int(rpcsRate)}/s with the worker's RPCs (${x(oursSend, rpcsRate)}): per payout ${ms(1000 / oursSend)}` +
      ` against ${ms(1000 / bareRate)} and ${ms(1000 / rpcsRate)}: ${ms(1000 / oursSend - 1000 / rpcsRate)} more per` +
      ` payout than the same RPCs alone. Of a payout's ${ms(1000 / oursSend)}, send() took` +
      ` ${ms(stepMs(sendPhase, 'send') / n)} (its DB transactions ${ms((stepMs(sendPhase, 'store.recordSigned') + stepMs(sendPhase, 'store.markBroadcast')) / n)})` +
      ` and follow() — the passes re-reading every open transaction — ${ms(stepMs(sendPhase, 'follow') / n)}`,
    `- complete: ours ${int(oursDone)} completions/s (${int(doneInPhase)} in ${f2(completePhase.seconds)} s), following` +
      ` ${int(lookups(completePhase))} open transactions at ${int(oursFollowed)}/s against ${int(followRate)} lookups/s` +
      ` for the bare receipt + eth_blockNumber loop (${x(oursFollowed, followRate)}); the ledger postings ran beside` +
      ` the lookups`,
    `- a pass after everything was completed (nothing to send or complete): ${ms(idle.passMs)}, ${int(idle.passes[0]?.open ?? 0)}` +
      ` "open" transactions followed, ${int(oursCalls(idle))} RPCs, ${int(idle.statements)} SQL statements,` +
      ` ${int(idleLedger)} ledger items posted (${int(idle.events['payout.completed'] ?? 0)} payout.completed written)`,
    `- SQL statements sent by the passes: send ${int(sendPhase.statements)} = ${f2(sendPhase.statements / n)} per` +
      ` payout, ${int(sendPhase.commits)} of them COMMIT (${f2(sendPhase.commits / n)} per payout); complete` +
      ` ${int(completePhase.statements)} = ${f2(completePhase.statements / n)} per payout, ${int(completePhase.commits)}` +
      ` COMMIT; ledger batches in the complete phase: ${int(completePhase.ledger.batches)} carrying` +
      ` ${int(completePhase.ledger.items)} items`,
    `- events written: send phase ${fmt(sendPhase.events)} (${f2((sendPhase.events['withdrawal.updated'] ?? 0) / n)}` +
      ` withdrawal.updated per payout); complete phase ${fmt(completePhase.events)}`,
    '',
    `send phase, where the time went (timers around the processor's methods, wall time; ${sendPhase.passes.length}` +
      ` passes, ${f2(sendPhase.passMs / 1000)} s inside tick()):`,
    '',
    ...stepTable(sendPhase),
    '',
    `- ${splitLine(sendPhase)}`,
    `- ${rpcLine(sendPhase, n, 'payout')}`,
    `- ${nodeLine(sendPhase.timers)}`,
    `- chain during the send phase (one block every ${int(s.blockMs)} ms): ${blocksLine(sendPhase.blocks)}`,
    `- passes (sent/completed/open at the start/seconds/DB s/RPC s): ${passesLine(sendPhase)}`,
    `- send ${cpuLine(sendPhase.cpu)}`,
    '',
    ...profileLines(sendPhase.profile),
    `complete phase (${r.confirmBlocks} blocks mined at once first; ${completePhase.passes.length} passes,` +
      ` ${f2(completePhase.passMs / 1000)} s inside tick()):`,
    '',
    ...stepTable(completePhase),
    '',
    `- ${splitLine(completePhase)}`,
    `- ${rpcLine(completePhase, n, 'completion')}`,
    `- ${nodeLine(completePhase.timers)}`,
    `- passes (sent/completed/open at the start/seconds/DB s/RPC s): ${passesLine(completePhase)}`,
    `- complete ${cpuLine(completePhase.cpu)}`,
    '',
    `- baseline bare: RPCs ${fmt(bare.rpcCalls)}; chain: ${blocksLine(bare.blocks)}`,
    `  ${nodeLine(bare.node)}`,
    `  ${cpuLine(bare.cpu)}`,
    `- baseline with the worker's RPCs: RPCs ${fmt(rpcs.rpcCalls)}; chain: ${blocksLine(rpcs.blocks)}`,
    `  ${nodeLine(rpcs.node)}`,
    `  ${cpuLine(rpcs.cpu)}`,
    `- baseline lookups: ${int(follow.mined)} of ${int(follow.n)} found mined with ≥ ${CONFIRMATIONS} confirmations`,
    `  ${nodeLine(follow.node)}`,
    `  ${cpuLine(follow.cpu)}`,
    '',
    `- set-up (not timed): ${int(n)} users credited ${CREDIT_STARS} Stars (ledger.adjust) in ${f2(r.setup.seconds.credit)} s,` +
      ` ${int(n)} withdrawals of ${WITHDRAW_STARS} Stars on ${NETWORK} created (WithdrawalsService.create) in` +
      ` ${f2(r.setup.seconds.create)} s and approved (WithdrawalsService.approve, actor admin:bench) in` +
      ` ${f2(r.setup.seconds.approve)} s, ${SETUP_CONCURRENCY} at a time; then VACUUM ANALYZE and a checkpoint`,
    `- checks: withdrawals ${fmt(c.statuses)}; payout transactions ${fmt(c.txStatuses)}; nonces ${int(c.nonces.distinct)}` +
      ` distinct, ${c.nonces.min}-${c.nonces.max} (${c.nonces.max - c.nonces.min + 1 === n && c.nonces.distinct === n ? 'consecutive' : 'NOT consecutive'}),` +
      ` ${int(c.nonces.rawMatch)} signed transactions carry their row's nonce; the hot wallet's nonce on chain ${c.chainNonce}`,
    `- recipients: ${int(c.recipientsPaid)} of ${int(n)} hold exactly their payout (${c.paidUnits} of ${c.expectedUnits}` +
      ` USDT units; the hot wallet paid out ${c.hotTokenLeft})${c.recipientsWrong.length ? `; wrong: ${c.recipientsWrong.join('; ')}` : ''};` +
      ` baseline recipients paid: ${int(c.baselinePaid)} of ${int(c.baselineExpected)}`,
    `- ledger: payouts_in_flight ${c.inFlightStars}, sum of balances ${c.balanceSum}; events ${fmt(c.events)}` +
      ` (${int(c.unpublished)} unpublished when checked)`,
    `- scheduled passes (BullMQ start-up pass, scheduler every ${MONITOR_MS / 1000} s, the NOTIFY of each approval)` +
      ` turned away while the bench drove the passes: ${int(r.scheduled)}`,
    `- app log at warn: ${r.logLines.length ? `${r.logLines.length} lines` : 'nothing'}`,
    ...serverLogSummary(r.logLines),
    `- app and devnet stopped in ${ms(r.stopMs)}`,
  ];
  return lines;
}

// --- run -------------------------------------------------------------------------------------------------

export async function run(_args: string[]): Promise<void> {
  const s = sizes();
  const n = s.n;
  const started = new Date();
  const { logger, lines: logLines } = warnLog();
  let devnet: EvmDevnet | null = null;
  let app: App | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    devnet = await startEvmDevnet({ automine: false, finalizedDepth: 1_000 });
    const d = devnet;
    if (s.estimateAt === 'latest') estimateAtLatest(d);
    const hot = Wallet.createRandom();
    const other = Wallet.createRandom();
    log(
      `EVM devnet at ${d.url} (automine off); starting the app in this process (database ${BENCH_DB}, role all)`,
    );
    const base = loadConfig();
    app = await createApp({
      migrate: true,
      role: 'all',
      logger,
      config: {
        databaseUrl: `${PG_BASE}/${BENCH_DB}`,
        redisPrefix: REDIS_PREFIX,
        logLevel: 'warn',
        chainScanIntervalMs: MONITOR_MS,
        depositExpiryIntervalMs: MONITOR_MS,
        chainInitialLookbackBlocks: 0,
        payouts: { ...base.payouts, monitorMs: MONITOR_MS, evmPrivateKey: hot.privateKey },
        ...evmDevnetChains(d, CONFIRMATIONS),
      },
    });
    const processors = [...(app.workers?.payouts.processors.values() ?? [])];
    const processor = processors.find((p) => p.wallet.networks.some((x) => x.chain === CHAIN));
    if (!processor || processors.length !== 1)
      throw new Error(`expected one EVM payout processor, found ${processors.length}`);
    const net = processor.wallet.networks.find((x) => x.chain === CHAIN) as NetworkConfig;
    const probe = instrument(app, processor, devnet);

    const merchant = await app.services.merchants.createMerchant('Bench payouts');
    log(`merchant ${merchant.id}; hot wallet ${hot.address}; set-up of ${int(n)} approved withdrawals`);
    const setup = await setUp(app, merchant.id, n);
    const units = BigInt(
      (
        await app.pool.query<{ u: string }>(
          'select amount_token_minor::text as u from withdrawals where id = $1',
          [setup.ids[0]],
        )
      ).rows[0]!.u,
    );
    // Twice what the payouts need: funded to the unit, the wallet's budget check (balance read after follow(),
    // less what the database still calls in flight) counts a transaction mined in between twice, and holds a
    // payout back for a pass with a "payout waiting" error (seen in development runs; see docs/benchmarks.md).
    const hotUnits = units * BigInt(2 * n);
    await d.sendToken(d.usdt6, hot.address, hotUnits);
    await d.sendEth(hot.address, 100n * 10n ** 18n);
    await d.sendToken(d.usdt6, other.address, units * BigInt(2 * n + WARM_UP) + 1_000_000n);
    await d.sendEth(other.address, 100n * 10n ** 18n);
    await d.mine(1);
    log(`hot wallet and the baseline key ${other.address} funded (USDT ${net.token.contract}, ETH)`);
    await vacuumAnalyze(BENCH_DB);

    // Warm-up (not timed): ethers' signing and the devnet's HTTP path, a few transfers from the baseline key.
    await baselineSend(d, other.privateKey, net.token.contract, units, WARM_UP, 'worker-rpcs', s.blockMs);
    await mineOut(d, other.address, 1);

    await checkpoint();
    log(`baseline (bare): ${int(n)} transfers signed and sent one at a time, a block every ${s.blockMs} ms`);
    const bare = await nodeTimed(probe, () =>
      baselineSend(d, other.privateKey, net.token.contract, units, n, 'bare', s.blockMs),
    );
    log(`  ${int(n / bare.seconds)} transfers/s (${bare.seconds.toFixed(2)} s)`);
    await mineOut(d, other.address, 1);
    log("baseline (the worker's RPCs): fee data, eth_estimateGas ×2, sign, send per transfer");
    const rpcs = await nodeTimed(probe, () =>
      baselineSend(d, other.privateKey, net.token.contract, units, n, 'worker-rpcs', s.blockMs),
    );
    log(`  ${int(n / rpcs.seconds)} transfers/s (${rpcs.seconds.toFixed(2)} s)`);
    await mineOut(d, other.address, CONFIRMATIONS);
    log(`baseline (lookups): receipt + eth_blockNumber for each of those ${int(n)}`);
    const follow = await nodeTimed(probe, () => baselineFollow(d, rpcs.hashes));
    log(`  ${int(follow.n / follow.seconds)} lookups/s (${follow.seconds.toFixed(2)} s)`);

    await checkpoint();
    log(
      `ours, send: passes back to back until all ${int(n)} are signed and broadcast (a block every ${s.blockMs} ms)`,
    );
    const app_ = app;
    const sendPhase = await passesUntil(
      app,
      processor,
      probe,
      'send',
      async () => {
        const sentOut = await countState(app_, setup.ids, ['broadcast', 'confirming', 'completed']);
        return { ok: sentOut === n, progress: `${int(sentOut)}/${int(n)} broadcast` };
      },
      { devnet: d, blockMs: s.blockMs },
      process.env.PAYOUTS_CPU_PROF,
    );
    log(`  ${int(n / sendPhase.seconds)} payouts/s (${sendPhase.seconds.toFixed(2)} s)`);
    const confirmBlocks = await mineOut(d, hot.address, CONFIRMATIONS);
    log(`ours, complete: ${confirmBlocks} blocks mined; passes until all ${int(n)} are completed`);
    const completePhase = await passesUntil(
      app,
      processor,
      probe,
      'complete',
      async () => {
        const completed = await countState(app_, setup.ids, ['completed']);
        return { ok: completed === n, progress: `${int(completed)}/${int(n)} completed` };
      },
      null,
    );
    const doneInPhase = completePhase.passes.reduce((a, x) => a + x.completed, 0);
    log(
      `  ${int(doneInPhase / completePhase.seconds)} completions/s (${completePhase.seconds.toFixed(2)} s)`,
    );
    log('one more pass, with everything completed');
    const idlePhase = await passesUntil(
      app,
      processor,
      probe,
      'idle',
      async () => ({ ok: true, progress: 'done' }),
      null,
    );

    log('checks');
    await sleep(500); // the outbox relay publishes the last events
    const checked = await checks(app, d, setup.ids, hot.address, hotUnits, [
      ...bare.recipients,
      ...rpcs.recipients,
    ]);

    const t = performance.now();
    await app.stop();
    app = null;
    await devnet.close();
    devnet = null;
    const stopMs = performance.now() - t;
    const lines = [
      `payouts benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      `- sizes: ${int(n)} approved ${NETWORK} withdrawals of ${WITHDRAW_STARS} Stars (${units} USDT units each) from one` +
        ` merchant's ${int(n)} users, one EVM hot wallet (${CHAIN}, BEP20:test and POLYGON:test on the same node);` +
        ` confirmations ${CONFIRMATIONS}; hardhat devnet in this process, automine off, one block every` +
        ` ${int(s.blockMs)} ms while sending, eth_estimateGas at '${s.estimateAt}'` +
        `${s.estimateAt === 'latest' ? " (geth's default; hardhat's is 'pending')" : " (hardhat's default)"};` +
        ' maxSendsPerPass 200 (jobs/payouts.ts); default pool (DB_POOL_SIZE) and ledger settings',
      '',
      ...report({
        s,
        setup,
        bare,
        rpcs,
        follow,
        sendPhase,
        completePhase,
        idlePhase,
        confirmBlocks,
        checks: checked,
        scheduled: probe.scheduled,
        logLines,
        stopMs,
      }),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await Promise.all([...MineLoop.running].map((l) => l.stop().catch(() => undefined)));
    await app?.stop().catch((e) => log(`could not stop the app: ${e.message}`));
    await devnet?.close().catch((e) => log(`could not close the devnet: ${e.message}`));
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) => log(`could not clean Redis: ${e.message}`));
  }
}
