import type { Config } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { EvmDevnet } from '../../src/devnet/evm/index.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { PG_BASE } from './db.js';

// What the in-process benchmarks share when they start the app: a logger at warn whose lines the report
// summarises, and the chain configuration that points EVM test mode at the bench's own hardhat devnet.

/** A warn-level logger that keeps its lines (at most 10,000) for the report's log summary. */
export function warnLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('warn', {
    write: (line: string) => {
      if (lines.length < 10_000) lines.push(line.trim());
    },
  });
  return { logger, lines };
}

/**
 * The app's own settings in an in-process bench: the bench's database and Redis prefix, warnings only, and
 * the scanners and the deposit expiry scheduled every `scheduleMs` (the bench drives passes itself), starting
 * at the chain's current block.
 */
export function benchAppConfig(
  db: string,
  redisPrefix: string,
  scheduleMs: number,
): Pick<
  Config,
  | 'databaseUrl'
  | 'redisPrefix'
  | 'logLevel'
  | 'chainScanIntervalMs'
  | 'depositExpiryIntervalMs'
  | 'chainInitialLookbackBlocks'
> {
  return {
    databaseUrl: `${PG_BASE}/${db}`,
    redisPrefix,
    logLevel: 'warn',
    chainScanIntervalMs: scheduleMs,
    depositExpiryIntervalMs: scheduleMs,
    chainInitialLookbackBlocks: 0,
  };
}

/** TRON off, EVM test mode on the devnet `d` with `confirmations`, no live EVM networks. */
export function evmDevnetChains(d: EvmDevnet, confirmations: number): Pick<Config, 'tron' | 'evm'> {
  const base = loadConfig();
  return {
    tron: { ...base.tron, devnet: 'off', nodeUrl: null, testNodeUrl: null },
    evm: {
      ...base.evm,
      networks: [],
      devnet: 'off',
      testRpcUrl: d.url,
      testUsdt6: d.usdt6.address,
      testUsdt18: d.usdt18.address,
      testFaucetPrivateKey: d.faucet.privateKey,
      testConfirmations: confirmations,
    },
  };
}
