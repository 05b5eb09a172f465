import type { HotWallet } from '../../chains/payout/types.js';
import { openHotWallets } from '../../chains/payout/wallets.js';
import type { NetworkRegistry } from '../../chains/registry.js';
import type { Config } from '../../config.js';
import { createPool, type Pool } from '../../db/database.js';
import { listenChannel } from '../../db/listener.js';
import type { Logger } from '../../lib/logger.js';
import type { LedgerService } from '../ledger/index.js';
import { PAYOUTS_CHANNEL } from '../withdrawals/index.js';
import { PayoutProcessor, type TickResult } from './processor.js';
import { PayoutStore } from './store.js';

// The payout workflow of a worker: a processor per hot wallet, each pass under its wallet's advisory lock, and
// the approvals' NOTIFY that asks for a pass at once. jobs/payouts.ts runs the passes on BullMQ queues.

export interface PayoutWorkflow {
  wallets: HotWallet[];
  processors: Map<string, PayoutProcessor>;
  /** Runs one pass of every wallet now (tests, CLI). */
  tickAll(): Promise<TickResult[]>;
  close(): Promise<void>;
}

export async function openPayoutWorkflow(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  ledger: LedgerService;
}): Promise<PayoutWorkflow> {
  const { config, log } = deps;
  const store = new PayoutStore(deps.pool);
  const wallets = await openHotWallets(config, deps.registry, log);
  const processors = new Map<string, PayoutProcessor>();
  // A pass holds its wallet's lock connection while it queries through `pool`: the lock connections come from
  // a pool of their own, or lock holders could use up `pool` waiting for a second connection.
  const lockPool = createPool(config.databaseUrl, wallets.length + 1);
  for (const w of wallets) {
    await store.registerWallet(w);
    processors.set(
      w.key,
      new PayoutProcessor(w, store, deps.ledger, lockPool, log, {
        replaceAfterMs: config.payouts.evmReplaceAfterMs,
        rebroadcastMs: Math.max(config.payouts.monitorMs * 5, 10_000),
        maxSendsPerPass: 200,
      }),
    );
  }
  return {
    wallets,
    processors,
    tickAll: () => Promise.all([...processors.values()].map((p) => p.tick())),
    async close() {
      for (const w of wallets) w.close();
      await lockPool.end();
    },
  };
}

/** Calls `onApproved` whenever a withdrawal is approved (NOTIFY); returns how to stop listening. */
export async function listenForApprovals(
  databaseUrl: string,
  onApproved: () => void,
  log: Logger,
): Promise<() => Promise<void>> {
  // Reconnects on its own (it did not: after one lost connection, approvals waited for the next tick for good).
  const listener = await listenChannel({
    databaseUrl,
    channel: PAYOUTS_CHANNEL,
    onNotify: onApproved,
    log,
    what: 'payout',
  });
  return () => listener.close();
}
