import { type HDNodeWallet, Wallet } from 'ethers';
import { type App, createApp } from '../src/app.js';
import type { NetworkConfig } from '../src/chains/registry.js';
import { loadConfig } from '../src/config.js';
import { type EvmDevnet, startEvmDevnet } from '../src/devnet/evm/index.js';
import type { Logger } from '../src/lib/logger.js';
import type { PayoutProcessor } from '../src/modules/payouts/processor.js';
import { benchAppConfig, evmDevnetChains, warnLog } from './lib/bench-app.js';
import { checkpoint, dropDatabase, vacuumAnalyze } from './lib/db.js';
import { baselineFollow, baselineSend, nodeTimed } from './lib/payouts-baselines.js';
import { estimateAtLatest, MineLoop, mineOut } from './lib/payouts-chain.js';
import { checks } from './lib/payouts-checks.js';
import {
  CHAIN,
  CONFIRMATIONS,
  MONITOR_MS,
  NETWORK,
  type Sizes,
  setUp,
  sizes,
  WITHDRAW_STARS,
} from './lib/payouts-fixtures.js';
import { countState, passesUntil } from './lib/payouts-phases.js';
import { instrument, type Probe } from './lib/payouts-probe.js';
import { type Run, report } from './lib/payouts-report.js';
import { log, sleep } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int, machineLines } from './lib/report.js';

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
/** Untimed transfers from the baseline key first (ethers' signing, the devnet's HTTP path). */
const WARM_UP = 20;

export async function run(_args: string[]): Promise<void> {
  const s = sizes();
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
    app = await startApp(d, hot, logger);
    const { processor, net } = evmProcessor(app);
    const probe = instrument(app, processor, d);
    const { setup, units, hotUnits } = await prepare(app, d, hot, other, net, s.n);
    const baselines = await runBaselines(d, probe, other, net.token.contract, units, s);
    const ours = await runOurs(app, processor, probe, d, hot.address, setup.ids, s);

    log('checks');
    await sleep(500); // the outbox relay publishes the last events
    const checked = await checks(app, d, setup.ids, hot.address, hotUnits, [
      ...baselines.bare.recipients,
      ...baselines.rpcs.recipients,
    ]);

    const t = performance.now();
    await app.stop();
    app = null;
    await devnet.close();
    devnet = null;
    const stopMs = performance.now() - t;
    const lines = [
      ...(await headerLines(started, s, units)),
      ...report({
        s,
        setup,
        ...baselines,
        ...ours,
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

/** The app with role all on the bench's database, paying out from `hot` on the devnet's chains. */
function startApp(d: EvmDevnet, hot: HDNodeWallet, logger: Logger): Promise<App> {
  const base = loadConfig();
  return createApp({
    migrate: true,
    role: 'all',
    logger,
    config: {
      ...benchAppConfig(BENCH_DB, REDIS_PREFIX, MONITOR_MS),
      payouts: { ...base.payouts, monitorMs: MONITOR_MS, evmPrivateKey: hot.privateKey },
      ...evmDevnetChains(d, CONFIRMATIONS),
    },
  });
}

/** The app's one payout processor (EVM, on CHAIN among its networks) and that network. */
function evmProcessor(app: App): { processor: PayoutProcessor; net: NetworkConfig } {
  const processors = [...(app.workers?.payouts.processors.values() ?? [])];
  const processor = processors.find((p) => p.wallet.networks.some((x) => x.chain === CHAIN));
  if (!processor || processors.length !== 1)
    throw new Error(`expected one EVM payout processor, found ${processors.length}`);
  const net = processor.wallet.networks.find((x) => x.chain === CHAIN) as NetworkConfig;
  return { processor, net };
}

/**
 * The set-up, not timed: N approved withdrawals of one merchant, the hot wallet and the baseline key funded,
 * the tables vacuumed. Returns the withdrawals, the token units of one payout and what the hot wallet holds.
 */
async function prepare(
  app: App,
  d: EvmDevnet,
  hot: HDNodeWallet,
  other: HDNodeWallet,
  net: NetworkConfig,
  n: number,
) {
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
  return { setup, units, hotUnits };
}

/** The baselines on the same devnet, no database, from the `other` key: bare sends, the worker's RPCs, lookups. */
async function runBaselines(
  d: EvmDevnet,
  probe: Probe,
  other: HDNodeWallet,
  token: string,
  units: bigint,
  s: Sizes,
): Promise<Pick<Run, 'bare' | 'rpcs' | 'follow'>> {
  const n = s.n;
  // Warm-up (not timed): ethers' signing and the devnet's HTTP path, a few transfers from the baseline key.
  await baselineSend(d, other.privateKey, token, units, WARM_UP, 'worker-rpcs', s.blockMs);
  await mineOut(d, other.address, 1);

  await checkpoint();
  log(`baseline (bare): ${int(n)} transfers signed and sent one at a time, a block every ${s.blockMs} ms`);
  const bare = await nodeTimed(probe, () =>
    baselineSend(d, other.privateKey, token, units, n, 'bare', s.blockMs),
  );
  log(`  ${int(n / bare.seconds)} transfers/s (${bare.seconds.toFixed(2)} s)`);
  await mineOut(d, other.address, 1);
  log("baseline (the worker's RPCs): fee data, eth_estimateGas ×2, sign, send per transfer");
  const rpcs = await nodeTimed(probe, () =>
    baselineSend(d, other.privateKey, token, units, n, 'worker-rpcs', s.blockMs),
  );
  log(`  ${int(n / rpcs.seconds)} transfers/s (${rpcs.seconds.toFixed(2)} s)`);
  await mineOut(d, other.address, CONFIRMATIONS);
  log(`baseline (lookups): receipt + eth_blockNumber for each of those ${int(n)}`);
  const follow = await nodeTimed(probe, () => baselineFollow(d, rpcs.hashes));
  log(`  ${int(follow.n / follow.seconds)} lookups/s (${follow.seconds.toFixed(2)} s)`);
  return { bare, rpcs, follow };
}

/**
 * Ours: passes until all N are signed and broadcast (the chain mining a block every blockMs), the
 * confirmations mined at once and passes until all are completed, then one more pass with nothing to do.
 */
async function runOurs(
  app: App,
  processor: PayoutProcessor,
  probe: Probe,
  d: EvmDevnet,
  hot: string,
  ids: string[],
  s: Sizes,
): Promise<Pick<Run, 'sendPhase' | 'completePhase' | 'idlePhase' | 'confirmBlocks'>> {
  const n = s.n;
  /** Done when all N withdrawals are in one of `states`. */
  const allIn = (states: string[], what: string) => async () => {
    const k = await countState(app, ids, states);
    return { ok: k === n, progress: `${int(k)}/${int(n)} ${what}` };
  };
  await checkpoint();
  log(
    `ours, send: passes back to back until all ${int(n)} are signed and broadcast (a block every ${s.blockMs} ms)`,
  );
  const sendPhase = await passesUntil(
    app,
    processor,
    probe,
    'send',
    allIn(['broadcast', 'confirming', 'completed'], 'broadcast'),
    { devnet: d, blockMs: s.blockMs },
    process.env.PAYOUTS_CPU_PROF,
  );
  log(`  ${int(n / sendPhase.seconds)} payouts/s (${sendPhase.seconds.toFixed(2)} s)`);
  const confirmBlocks = await mineOut(d, hot, CONFIRMATIONS);
  log(`ours, complete: ${confirmBlocks} blocks mined; passes until all ${int(n)} are completed`);
  const completePhase = await passesUntil(
    app,
    processor,
    probe,
    'complete',
    allIn(['completed'], 'completed'),
    null,
  );
  const doneInPhase = completePhase.passes.reduce((a, x) => a + x.completed, 0);
  log(`  ${int(doneInPhase / completePhase.seconds)} completions/s (${completePhase.seconds.toFixed(2)} s)`);
  log('one more pass, with everything completed');
  const idlePhase = await passesUntil(
    app,
    processor,
    probe,
    'idle',
    async () => ({ ok: true, progress: 'done' }),
    null,
  );
  return { sendPhase, completePhase, idlePhase, confirmBlocks };
}

/** The report's title, the machine, and the sizes of the run. */
async function headerLines(started: Date, s: Sizes, units: bigint): Promise<string[]> {
  return [
    `payouts benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...(await machineLines()),
    `- sizes: ${int(s.n)} approved ${NETWORK} withdrawals of ${WITHDRAW_STARS} Stars (${units} USDT units each) from one` +
      ` merchant's ${int(s.n)} users, one EVM hot wallet (${CHAIN}, BEP20:test and POLYGON:test on the same node);` +
      ` confirmations ${CONFIRMATIONS}; hardhat devnet in this process, automine off, one block every` +
      ` ${int(s.blockMs)} ms while sending, eth_estimateGas at '${s.estimateAt}'` +
      `${s.estimateAt === 'latest' ? " (geth's default; hardhat's is 'pending')" : " (hardhat's default)"};` +
      ' maxSendsPerPass 200 (jobs/payouts.ts); default pool (DB_POOL_SIZE) and ledger settings',
    '',
  ];
}
