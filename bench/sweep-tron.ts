import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTronDevnet, type TronDevnet } from '../src/devnet/tron/index.js';
import type { Logger } from '../src/lib/logger.js';
import { benchAppConfig, warnLog } from './lib/bench-app.js';
import { dropDatabase, vacuumAnalyze } from './lib/db.js';
import { log } from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int } from './lib/report.js';
import { bareSweepTron } from './lib/sweep-baseline-tron.js';
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

// `npm run bench -- sweep-tron`: the treasury's TRC20 sweeper in burn mode (src/chains/tron/sweep.ts) on the TRON
// devnet, in this process, as `npm run bench -- sweep` does for ERC20 (docs/benchmarks.md#sweep). Each deposit
// address is sent exactly the TRX its transfer burns (estimateenergy × the energy price), one TRX transfer per
// address (TRON has no batch transfer), then swept with fee_limit = that TRX; completed at 19 confirmations.
// Baseline: the same node calls in a bare tronweb loop (bench/lib/sweep-baseline-tron.ts). The chain's clock is a
// block every SWEEP_BLOCK_MS (default 3,000: TRON's); SWEEP_DEPOSITS (default 500) as for ERC20.

const BENCH_DB = 'novapay_bench_sweep_tron';
const REDIS_PREFIX = 'novapay-bench-sweep-tron';
const NETWORK = 'TRC20';
const CHAIN = `${NETWORK}:test`;
const CONFIRMATIONS = 19;
const HOLD_MS = 600_000;
/** What each hot wallet starts with: ~30 TRX per sweep (energy, and 1.1 TRX to create each account) and more. */
const HOT_TRX_SUN = 100_000_000_000n;
/** Payments per block in the set-up (the devnet takes 1,000 transactions per block). */
const PAY_PER_BLOCK = 500;

const randomKey = () => randomBytes(32).toString('hex');
const addressOf = (key: string) => TronWeb.address.fromPrivateKey(key) as string;

async function startApp(d: TronDevnet, hotKey: string, logger: Logger) {
  const base = loadConfig();
  return createApp({
    migrate: true,
    role: 'all',
    logger,
    config: {
      ...benchAppConfig(BENCH_DB, REDIS_PREFIX, HOLD_MS),
      payouts: { ...base.payouts, monitorMs: HOLD_MS, tronPrivateKey: hotKey },
      treasury: {
        ...base.treasury,
        signerRole: 'worker',
        sweepIntervalMs: HOLD_MS,
        reconcileIntervalMs: 86_400_000,
        policies: { [CHAIN]: { threshold: '1' } },
      },
      tron: {
        ...base.tron,
        devnet: 'off',
        nodeUrl: null,
        testNodeUrl: d.url,
        testUsdtContract: d.usdt.address,
        testFaucetPrivateKey: d.faucet.privateKey,
        confirmations: CONFIRMATIONS,
      },
      evm: { ...base.evm, networks: [], devnet: 'off', testRpcUrl: null },
    },
  });
}

function payEach(d: TronDevnet, addresses: string[]): void {
  for (const [i, a] of addresses.entries()) {
    d.sendUsdt(a, UNITS);
    if ((i + 1) % PAY_PER_BLOCK === 0) d.mine(1);
  }
  d.mine(1);
}

/** A block every `ms` while started (the devnet mines in this process). */
function blockClock(d: TronDevnet, ms: number) {
  let timer: NodeJS.Timeout | null = null;
  return {
    start: () => {
      timer = setInterval(() => d.mine(1), ms);
    },
    stop: () => {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export async function run(_args: string[]): Promise<void> {
  const { n, blockMs } = sweepSizes(3_000);
  const started = new Date();
  const { logger, lines: logLines } = warnLog();
  let devnet: TronDevnet | null = null;
  let app: App | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    devnet = await startTronDevnet({ solidDepth: CONFIRMATIONS });
    const d = devnet;
    const hotKey = randomKey();
    const bareHotKey = randomKey();
    const baselineKeys = Array.from({ length: n }, randomKey);
    const baseline = baselineKeys.map(addressOf);
    log(`TRON devnet at ${d.url}; starting the app in this process (database ${BENCH_DB})`);
    app = await startApp(d, hotKey, logger);
    const sweeper = app.signer?.sweepers.byChain.get(CHAIN);
    if (!sweeper) throw new Error(`no sweeper for ${CHAIN}`);
    const probe = instrument(sweeper, 'tron');
    const maxPerPass = app.config.treasury.maxSweepsPerPass;
    const maxOpen = app.config.treasury.maxOpenSweeps;

    log(`set-up: ${int(n)} credited deposits of 1 USDT; hot wallet ${addressOf(hotKey)}`);
    const setup = await creditedDeposits(app, {
      chain: CHAIN,
      network: NETWORK,
      n,
      baseline,
      pay: async (addresses) => payEach(d, addresses),
      mine: (k) => d.mine(k),
      confirmations: CONFIRMATIONS,
    });
    // TRX, and 1 USDT so that every transfer into either hot wallet costs alike (the steady state).
    for (const key of [hotKey, bareHotKey]) {
      d.sendTrx(addressOf(key), HOT_TRX_SUN);
      d.sendUsdt(addressOf(key), UNITS);
    }
    d.mine(1);
    await recordHotFunding(app, NETWORK, HOT_TRX_SUN);
    await vacuumAnalyze(BENCH_DB);

    const measured = await measure({
      app,
      sweeper,
      probe,
      n,
      blockMs,
      head: () => d.head().number,
      blocks: blockClock(d, blockMs),
      bare: () =>
        bareSweepTron({
          url: d.url,
          token: d.usdt.address,
          hotKey: bareHotKey,
          keys: baselineKeys,
          units: UNITS,
          confirmations: CONFIRMATIONS,
        }),
    });
    const checked = await sweepChecks({
      sweeper,
      addresses: setup.addresses,
      baseline,
      hot: addressOf(hotKey),
      tokenOf: (a) => d.tokenBalance(a),
    });

    await app.stop();
    app = null;
    await printReport(
      'sweep-tron benchmark',
      started,
      `- sizes: ${int(n)} credited ${NETWORK} deposits of 1 USDT on as many addresses, swept into one TRON hot wallet` +
        ` (${CHAIN}; threshold 1, burning TRX: one top-up per address; both hot wallets hold 1 USDT at the start);` +
        ` confirmations ${CONFIRMATIONS}; TRON devnet in this process (mainnet's energy price and USDT's dynamic` +
        ` energy), one block every ${int(blockMs)} ms; SWEEP_MAX_PER_PASS ${int(maxPerPass)}, SWEEP_MAX_OPEN ${int(maxOpen)}; default pool and` +
        ' ledger settings',
      {
        labels: {
          estimate: 'energy estimated',
          topup: 'one TRX transfer each',
          setup: 'devnet sendUsdt, one transfer each',
          bareWait: 'getnowblock is its wait, polled every 20 ms',
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
