import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { DISPERSE_ADDRESS, type EvmDevnet, startEvmDevnet } from '../src/devnet/evm/index.js';
import type { Logger } from '../src/lib/logger.js';
import { reconcileNetwork, type Sweeper, TreasuryService } from '../src/modules/treasury/index.js';
import { evmDevnetChains, warnLog } from './lib/bench-app.js';
import { checkpoint, dropDatabase, PG_BASE, vacuumAnalyze } from './lib/db.js';
import { log, sleep } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int, machineLines } from './lib/report.js';
import { createDeposits, creditedCount } from './lib/scan.js';
import { bareSweep, TOPUP_BATCH } from './lib/sweep-baseline.js';
import { instrument, milestones, runOurs } from './lib/sweep-ours.js';
import { report, type SweepChecks } from './lib/sweep-report.js';
import { estimateAtLatest } from './payouts.js';

// `npm run bench -- sweep`: the treasury's ERC20 sweeper (src/modules/treasury, src/chains/evm/sweep.ts) on the
// hardhat devnet, in this process (app with role all, the signer in the worker, the hot wallet from
// PAYOUT_EVM_PRIVATE_KEY's config, SWEEP_POLICY ERC20:test with threshold 1 and the devnet's Disperse).
// Set-up, not timed: N deposits of 1 USDT created through DepositsService and paid (devnet disperseToken), mined
// and credited by the scanner; N more funded keys for the baseline. Measured, on one chain clock (hardhat
// interval mining, one block every SWEEP_BLOCK_MS, automine off, as a real node):
//  - the bare loop (bench/lib/sweep-baseline.ts), no database: eth_estimateGas per address, one disperseEther
//    top-up per 100, wait for them, sign + send each token transfer, wait until all are 12 deep;
//  - ours (bench/lib/sweep-ours.ts): Sweeper.pass() back to back (a pass that did nothing waits for the next
//    block) until all N sweeps are completed and booked; per stage from the rows (planned, top-up sent, sweep
//    sent, completed), and per step inside the passes.
// Sizes: SWEEP_DEPOSITS (10-5,000, default 500), SWEEP_BLOCK_MS (100-12,000, default 2,000: Polygon PoS; BSC and
// Ethereum are 0.75-3 s and 12 s); SWEEP_MAX_PER_PASS as the app reads it (default 100).

const BENCH_DB = 'novapay_bench_sweep';
const REDIS_PREFIX = 'novapay-bench-sweep';
const NETWORK = 'ERC20';
const CHAIN = `${NETWORK}:test`;
const CONFIRMATIONS = 12;
const UNITS = 1_000_000n; // 1 USDT (6 decimals): what each deposit asks for and receives
const HOLD_MS = 600_000;

const randomWallet = () => new Wallet(`0x${randomBytes(32).toString('hex')}`);

function sizes(): { n: number; blockMs: number } {
  const rawN = process.env.SWEEP_DEPOSITS ?? '500';
  const n = Number(rawN);
  if (!(Number.isInteger(n) && n >= 10 && n <= 5_000))
    throw new Error(`SWEEP_DEPOSITS must be 10-5000, not '${rawN}'`);
  const rawBlock = process.env.SWEEP_BLOCK_MS ?? '2000';
  const blockMs = Number(rawBlock);
  if (!(Number.isInteger(blockMs) && blockMs >= 100 && blockMs <= 12_000))
    throw new Error(`SWEEP_BLOCK_MS must be 100-12000, not '${rawBlock}'`);
  return { n, blockMs };
}

async function startApp(d: EvmDevnet, hotKey: string, logger: Logger) {
  const base = loadConfig();
  return createApp({
    migrate: true,
    role: 'all',
    logger,
    config: {
      databaseUrl: `${PG_BASE}/${BENCH_DB}`,
      redisPrefix: REDIS_PREFIX,
      logLevel: 'warn',
      chainScanIntervalMs: HOLD_MS,
      depositExpiryIntervalMs: HOLD_MS,
      chainInitialLookbackBlocks: 0,
      payouts: { ...base.payouts, monitorMs: HOLD_MS, evmPrivateKey: hotKey },
      treasury: {
        ...base.treasury,
        signerRole: 'worker',
        sweepIntervalMs: HOLD_MS,
        reconcileIntervalMs: 86_400_000,
        policies: { [CHAIN]: { threshold: '1', disperse: DISPERSE_ADDRESS } },
      },
      ...evmDevnetChains(d, CONFIRMATIONS),
    },
  });
}

/** 1 USDT to each address, 100 per devnet disperseToken transaction, each mined at once. */
async function payEach(d: EvmDevnet, addresses: string[]): Promise<void> {
  for (let i = 0; i < addresses.length; i += TOPUP_BATCH) {
    const chunk = addresses.slice(i, i + TOPUP_BATCH).map((to) => ({ to, amount: UNITS }));
    await d.disperseToken(d.usdt6, chunk);
    await d.mine(1);
  }
}

/** A scanner pass of ERC20 test mode (another pass holding the chain's lock: try again). */
async function scanOnce(app: App): Promise<void> {
  const scanner = app.workers?.scanning.scanners.get(CHAIN);
  if (!scanner) throw new Error(`no scanner for ${CHAIN}`);
  for (let i = 0; i < 500; i++) {
    if (!(await scanner.pass()).skipped) return;
    await sleep(20);
  }
  throw new Error('the scanner lock was never free');
}

async function setUp(app: App, d: EvmDevnet, n: number, baselineKeys: Wallet[]) {
  const t0 = performance.now();
  const merchant = await app.services.merchants.createMerchant('Bench sweep');
  const addresses = await createDeposits(app, merchant.id, n, NETWORK);
  await d.mine(1);
  await scanOnce(app); // the cursor now sits right after the current head
  const t1 = performance.now();
  log(`  ${int(n)} deposits created; paying them and the ${int(n)} baseline keys`);
  await payEach(d, addresses);
  await payEach(
    d,
    baselineKeys.map((k) => k.address),
  );
  await d.mine(CONFIRMATIONS);
  const t2 = performance.now();
  for (let i = 0; (await creditedCount(app, CHAIN)) < n; i++) {
    if (i > 200) throw new Error(`only ${await creditedCount(app, CHAIN)} of ${n} deposits credited`);
    await scanOnce(app);
  }
  const t3 = performance.now();
  log(`  ${int(n)} deposits credited`);
  return {
    addresses,
    seconds: { deposits: (t1 - t0) / 1000, funding: (t2 - t1) / 1000, credit: (t3 - t2) / 1000 },
  };
}

async function checks(
  d: EvmDevnet,
  sweeper: Sweeper,
  addresses: string[],
  hot: string,
  baselineKeys: Wallet[],
): Promise<SweepChecks> {
  let left = 0;
  for (const a of addresses) if ((await d.tokenBalance(d.usdt6, a)) > 0n) left++;
  let baselineSwept = 0;
  for (const k of baselineKeys) if ((await d.tokenBalance(d.usdt6, k.address)) === 0n) baselineSwept++;
  const recon = await reconcileNetwork(sweeper.deps);
  return {
    leftOnDeposits: left,
    hotTokenUnits: await d.tokenBalance(d.usdt6, hot),
    expectedUnits: UNITS * BigInt(addresses.length + 1), // and the 1 USDT it started with
    reconciliationDifferences: recon.filter((c) => c.difference !== 0n).length,
    baselineSwept,
  };
}

export async function run(_args: string[]): Promise<void> {
  const { n, blockMs } = sizes();
  const started = new Date();
  const { logger, lines: logLines } = warnLog();
  let devnet: EvmDevnet | null = null;
  let app: App | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    devnet = await startEvmDevnet({ automine: false, finalizedDepth: 1_000 });
    const d = devnet;
    estimateAtLatest(d);
    const hot = randomWallet();
    const bareHot = randomWallet();
    const baselineKeys = Array.from({ length: n }, randomWallet);
    log(`EVM devnet at ${d.url} (automine off); starting the app in this process (database ${BENCH_DB})`);
    app = await startApp(d, hot.privateKey, logger);
    const sweeper = app.signer?.sweepers.byChain.get(CHAIN);
    if (!sweeper) throw new Error(`no sweeper for ${CHAIN}`);
    const probe = instrument(sweeper, 'evm');
    const maxPerPass = app.config.treasury.maxSweepsPerPass;

    log(`set-up: ${int(n)} credited deposits of 1 USDT; hot wallet ${hot.address}`);
    const setup = await setUp(app, d, n, baselineKeys);
    // Gas, and 1 USDT so that every transfer into either hot wallet costs alike (the steady state; a wallet that
    // holds none of the token makes the first sweep cost more, and ours then sweeps one address alone first).
    const wei = 100n * 10n ** 18n;
    for (const w of [hot, bareHot]) {
      await d.sendEth(w.address, wei);
      await d.sendToken(d.usdt6, w.address, UNITS);
    }
    await d.mine(1);
    const treasury = new TreasuryService(app.services.ledger);
    for (const [asset, amount] of [
      ['native', wei],
      ['token', UNITS],
    ] as const)
      await treasury.recordFunding({
        network: NETWORK,
        mode: 'test',
        asset,
        to: 'hot',
        amount: String(amount),
        reference: `bench-sweep-${asset}`,
      });
    await vacuumAnalyze(BENCH_DB);
    await checkpoint();

    await d.request('evm_setIntervalMining', [blockMs]);
    log(`bare loop: ${int(n)} sweeps' RPCs, no database, a block every ${blockMs} ms`);
    const bare = await bareSweep({
      url: d.url,
      chainId: d.chainId,
      token: d.usdt6.address,
      disperse: DISPERSE_ADDRESS,
      hotKey: bareHot.privateKey,
      keys: baselineKeys,
      units: UNITS,
      confirmations: CONFIRMATIONS,
    });
    log(`  ${(n / bare.seconds).toFixed(2)} sweeps/s end to end (${bare.seconds.toFixed(2)} s)`);
    await checkpoint();
    log(`ours: sweep passes until all ${int(n)} are completed and booked`);
    const ours = await runOurs(app, sweeper, probe, () => d.blockNumber(), n);
    log(`  ${(n / ours.seconds).toFixed(2)} sweeps/s end to end (${ours.seconds.toFixed(2)} s)`);
    await d.request('evm_setIntervalMining', [0]);
    const stages = await milestones(app, CHAIN, ours.startedAt);
    const checked = await checks(d, sweeper, setup.addresses, hot.address, baselineKeys);

    await app.stop();
    app = null;
    const lines = [
      `sweep benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      `- sizes: ${int(n)} credited ${NETWORK} deposits of 1 USDT on as many addresses, swept into one EVM hot wallet` +
        ` (${CHAIN}; threshold 1, Disperse top-ups; both hot wallets hold 1 USDT at the start); confirmations` +
        ` ${CONFIRMATIONS}; hardhat devnet in this process,` +
        ` automine off, one block every ${int(blockMs)} ms (interval mining), eth_estimateGas at 'latest';` +
        ` SWEEP_MAX_PER_PASS ${int(maxPerPass)}; default pool and ledger settings`,
      '',
      ...report({
        labels: {
          estimate: 'gas estimated',
          topup: 'Disperse, ≤ 100 addresses each',
          setup: 'devnet disperseToken, 100 per transaction',
          bareWait: 'eth_blockNumber is its wait, polled every 20 ms',
        },
        n,
        blockMs,
        maxPerPass,
        confirmations: CONFIRMATIONS,
        setupSeconds: setup.seconds,
        bare,
        ours,
        stages,
        checks: checked,
        scheduled: probe.scheduled,
        logLines,
      }),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await app?.stop().catch((e) => log(`could not stop the app: ${e.message}`));
    await devnet?.close().catch((e) => log(`could not close the devnet: ${e.message}`));
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) => log(`could not clean Redis: ${e.message}`));
  }
}
