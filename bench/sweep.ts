import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { DISPERSE_ADDRESS, type EvmDevnet, startEvmDevnet } from '../src/devnet/evm/index.js';
import type { Logger } from '../src/lib/logger.js';
import { benchAppConfig, evmDevnetChains, warnLog } from './lib/bench-app.js';
import { dropDatabase, vacuumAnalyze } from './lib/db.js';
import { estimateAtLatest } from './lib/payouts-chain.js';
import { log } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int } from './lib/report.js';
import { bareSweep, TOPUP_BATCH } from './lib/sweep-baseline.js';
import {
  creditedDeposits,
  measure,
  printReport,
  recordHotFunding,
  sweepChecks,
  sweepSizes,
  UNITS,
} from './lib/sweep-common.js';
import { instrument } from './lib/sweep-ours.js';

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
const HOLD_MS = 600_000;

const randomWallet = () => new Wallet(`0x${randomBytes(32).toString('hex')}`);

async function startApp(d: EvmDevnet, hotKey: string, logger: Logger) {
  const base = loadConfig();
  return createApp({
    migrate: true,
    role: 'all',
    logger,
    config: {
      ...benchAppConfig(BENCH_DB, REDIS_PREFIX, HOLD_MS),
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

export async function run(_args: string[]): Promise<void> {
  const { n, blockMs } = sweepSizes(2_000);
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
    const maxOpen = app.config.treasury.maxOpenSweeps;

    log(`set-up: ${int(n)} credited deposits of 1 USDT; hot wallet ${hot.address}`);
    const baseline = baselineKeys.map((k) => k.address);
    const setup = await creditedDeposits(app, {
      chain: CHAIN,
      network: NETWORK,
      n,
      baseline,
      pay: (addresses) => payEach(d, addresses),
      mine: (k) => d.mine(k),
      confirmations: CONFIRMATIONS,
    });
    // Gas, and 1 USDT so that every transfer into either hot wallet costs alike (the steady state; a wallet that
    // holds none of the token makes the first sweep cost more, and ours then sweeps one address alone first).
    const wei = 100n * 10n ** 18n;
    for (const w of [hot, bareHot]) {
      await d.sendEth(w.address, wei);
      await d.sendToken(d.usdt6, w.address, UNITS);
    }
    await d.mine(1);
    await recordHotFunding(app, NETWORK, wei);
    await vacuumAnalyze(BENCH_DB);

    const measured = await measure({
      app,
      sweeper,
      probe,
      n,
      blockMs,
      head: () => d.blockNumber(),
      blocks: {
        start: () => d.request('evm_setIntervalMining', [blockMs]),
        stop: () => d.request('evm_setIntervalMining', [0]),
      },
      bare: () =>
        bareSweep({
          url: d.url,
          chainId: d.chainId,
          token: d.usdt6.address,
          disperse: DISPERSE_ADDRESS,
          hotKey: bareHot.privateKey,
          keys: baselineKeys,
          units: UNITS,
          confirmations: CONFIRMATIONS,
        }),
    });
    const checked = await sweepChecks({
      sweeper,
      addresses: setup.addresses,
      baseline,
      hot: hot.address,
      tokenOf: (a) => d.tokenBalance(d.usdt6, a),
    });

    await app.stop();
    app = null;
    await printReport(
      'sweep benchmark',
      started,
      `- sizes: ${int(n)} credited ${NETWORK} deposits of 1 USDT on as many addresses, swept into one EVM hot wallet` +
        ` (${CHAIN}; threshold 1, Disperse top-ups; both hot wallets hold 1 USDT at the start); confirmations` +
        ` ${CONFIRMATIONS}; hardhat devnet in this process,` +
        ` automine off, one block every ${int(blockMs)} ms (interval mining), eth_estimateGas at 'latest';` +
        ` SWEEP_MAX_PER_PASS ${int(maxPerPass)}, SWEEP_MAX_OPEN ${int(maxOpen)}; default pool and ledger settings`,
      {
        labels: {
          estimate: 'gas estimated',
          topup: 'Disperse, ≤ 100 addresses each',
          setup: 'devnet disperseToken, 100 per transaction',
          bareWait: 'eth_blockNumber is its wait, polled every 20 ms',
        },
        n,
        blockMs,
        maxPerPass,
        maxOpen,
        confirmations: CONFIRMATIONS,
        setupSeconds: setup.seconds,
        ...measured,
        checks: checked,
        scheduled: probe.scheduled,
        logLines,
      },
    );
  } finally {
    await app?.stop().catch((e) => log(`could not stop the app: ${e.message}`));
    await devnet?.close().catch((e) => log(`could not close the devnet: ${e.message}`));
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) => log(`could not clean Redis: ${e.message}`));
  }
}
