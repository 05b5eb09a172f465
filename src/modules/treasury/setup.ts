import { TronWeb } from 'tronweb';
import { type DepositKeys, SignerConfigError, tronStakingKey } from '../../chains/keys.js';
import type { HotWallet } from '../../chains/payout/types.js';
import type { NetworkRegistry } from '../../chains/registry.js';
import { openSweepChain } from '../../chains/sweep/open.js';
import type { Config } from '../../config.js';
import { createPool, type Pool } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import type { LedgerService } from '../ledger/index.js';
import { hotWalletLockKey, PayoutStore } from '../payouts/index.js';
import { resolvePolicy, type SweepPolicy } from './policy.js';
import { TreasuryStore } from './store.js';
import { Sweeper } from './sweeper.js';

// The sweepers of the networks that have a sweep policy, each with its network's hot wallet (where top-ups come
// from and sweeps go) and the family's sweeping side signing with the deposit keys. A network without a policy,
// without a hot wallet or whose family cannot sweep yet is left alone, with a line in the log saying so.

/**
 * How long a sweep pass waits for a payout pass (every PAYOUT_MONITOR_MS, 3 s by default) to release the hot
 * wallet before its top-ups and move to cold wait for the next sweep pass.
 */
const HOT_LOCK_WAIT_MS = 10_000;

export interface Sweepers {
  byChain: Map<string, Sweeper>;
  close(): Promise<void>;
}

/**
 * TRON delegate mode's staking key: TRON_STAKING_PRIVATE_KEY(_FILE) for a `stakingAccount`, which it must derive,
 * else the hot wallet's own key. Null in burn mode.
 */
export function stakingKeyFor(config: Config, chain: string, policy: SweepPolicy): string | null {
  const tron = policy.tron;
  if (tron?.fees !== 'delegate') return null;
  if (!tron.stakingAccount) {
    if (!config.payouts.tronPrivateKey)
      throw new SignerConfigError(
        `SWEEP_POLICY ${chain} delegates energy from the hot wallet, which has no key`,
      );
    return config.payouts.tronPrivateKey;
  }
  const key = tronStakingKey(config.treasury.seed);
  if (!key)
    throw new SignerConfigError(
      `SWEEP_POLICY ${chain} delegates energy from ${tron.stakingAccount}: set TRON_STAKING_PRIVATE_KEY or TRON_STAKING_PRIVATE_KEY_FILE`,
    );
  if (TronWeb.address.fromPrivateKey(key) !== tron.stakingAccount)
    throw new SignerConfigError(
      `TRON_STAKING_PRIVATE_KEY does not derive SWEEP_POLICY ${chain}.stakingAccount (${tron.stakingAccount})`,
    );
  return key;
}

export async function openSweepers(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  ledger: LedgerService;
  keys: DepositKeys;
  wallets: HotWallet[];
}): Promise<Sweepers> {
  const { config, pool, log } = deps;
  const store = new TreasuryStore(pool);
  const payouts = new PayoutStore(pool);
  const byChain = new Map<string, Sweeper>();
  const chains: { close(): void }[] = [];
  const policies = config.treasury.policies;
  for (const chainKey of Object.keys(policies)) {
    if (!deps.registry.byChain(chainKey))
      log.warn({ chain: chainKey }, 'SWEEP_POLICY names a network this server does not run');
  }
  // Two lock connections per swept network (its own pass, the hot wallet's), plus one spare.
  const lockPool = createPool(config.databaseUrl, 2 * Object.keys(policies).length + 1);
  for (const net of deps.registry.all()) {
    const input = policies[net.chain];
    if (!input) continue;
    const wallet = deps.wallets.find((w) => w.networks.some((n) => n.chain === net.chain));
    if (!wallet) {
      log.warn({ chain: net.chain }, 'no hot wallet for this network: it is not swept');
      continue;
    }
    const policy = resolvePolicy(net, input);
    const chain = openSweepChain(net, wallet, deps.keys, {
      disperse: policy.disperse,
      stakingKey: stakingKeyFor(config, net.chain, policy),
    });
    if (!chain) {
      log.warn(
        { chain: net.chain },
        'this network cannot be swept yet (no seed for its family, or not built)',
      );
      continue;
    }
    chains.push(chain);
    await payouts.registerWallet(wallet);
    byChain.set(
      net.chain,
      new Sweeper({
        net,
        chain,
        wallet,
        store,
        ledger: deps.ledger,
        payouts,
        lockPool,
        log,
        policy,
        maxPerPass: config.treasury.maxSweepsPerPass,
        maxOpen: config.treasury.maxOpenSweeps,
        rebroadcastMs: Math.max(config.treasury.sweepIntervalMs * 5, 10_000),
        hotLockKey: hotWalletLockKey(wallet),
        hotLockWaitMs: HOT_LOCK_WAIT_MS,
      }),
    );
    log.info(
      {
        chain: net.chain,
        hot: wallet.address,
        batch: chain.topUpBatch,
        ...(policy.tron ? { tronFees: policy.tron.fees, staking: chain.lender?.address } : {}),
      },
      'sweeping',
    );
  }
  return {
    byChain,
    async close() {
      for (const c of chains) c.close();
      await lockPool.end();
    },
  };
}
