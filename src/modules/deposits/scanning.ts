import { familyOf } from '../../chains/families.js';
import type { NetworkConfig, NetworkRegistry } from '../../chains/registry.js';
import type { ChainAdapter } from '../../chains/types.js';
import { createPool, type Pool } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { ChainStore } from './chain-store.js';
import type { DepositCrediting } from './crediting.js';
import { ChainScanner } from './scanner.js';
import { ScannerHealth } from './scanner-health.js';

// The deposit workflow's scanners, one per network, each through its family's adapter; the queue that runs
// their passes is jobs/scanning.ts.

export interface DepositScanners {
  scanners: Map<string, ChainScanner>;
  store: ChainStore;
  health: ScannerHealth;
  /** Expires unpaid deposits past their window (a job of its own). */
  expire(): Promise<number>;
  close(): Promise<void>;
}

export function openDepositScanners(deps: {
  databaseUrl: string;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  crediting: DepositCrediting;
  maxRangesPerPass: number;
  initialLookback: number;
  /** A scanner is stalled when its cursor has not moved for this long while the head moved on. */
  stallMs: number;
}): DepositScanners {
  const { pool, log } = deps;
  const store = new ChainStore(pool);
  const scanners = new Map<string, ChainScanner>();
  const adapters: { net: NetworkConfig; adapter: ChainAdapter }[] = [];
  // One lock connection per chain (plus one spare), apart from the pool the passes query through.
  const lockPool = createPool(deps.databaseUrl, deps.registry.all().length + 1);
  for (const net of deps.registry.all()) {
    const adapter = familyOf(net.family).openAdapter(net);
    adapters.push({ net, adapter });
    scanners.set(
      net.chain,
      new ChainScanner(net, adapter, store, deps.crediting, pool, log, {
        maxRangesPerPass: deps.maxRangesPerPass,
        initialLookback: deps.initialLookback,
        lockPool,
      }),
    );
  }
  return {
    scanners,
    store,
    health: new ScannerHealth(adapters, store, deps.stallMs, log),
    expire: () => store.expire(),
    close: () => lockPool.end(),
  };
}

/** One network's scanner outside the workers (the CLI's rescan): no lock pool of its own. */
export function openScanner(
  net: NetworkConfig,
  deps: { pool: Pool; log: Logger; crediting: DepositCrediting },
): ChainScanner {
  return new ChainScanner(
    net,
    familyOf(net.family).openAdapter(net),
    new ChainStore(deps.pool),
    deps.crediting,
    deps.pool,
    deps.log,
    { maxRangesPerPass: 1, initialLookback: 0 },
  );
}
