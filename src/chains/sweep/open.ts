import { EvmSweepChain } from '../evm/sweep.js';
import type { DepositKeys } from '../keys.js';
import { EvmHotWallet } from '../payout/evm.js';
import { TronHotWallet } from '../payout/tron.js';
import type { HotWallet } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import { TronEnergyLender } from '../tron/staking.js';
import { TronSweepChain } from '../tron/sweep.js';
import type { SweepChain } from './types.js';

/**
 * The sweeping side of a network's chain family, or null when the signer has no seed for that family. The hot
 * wallet is the network's payout wallet: top-ups come from it and sweeps go to it.
 */
export function openSweepChain(
  net: NetworkConfig,
  wallet: HotWallet,
  keys: DepositKeys,
  opts: { disperse: string | null; tronStakingKey?: string | null },
): SweepChain | null {
  if (!keys.has(net.family)) return null;
  if (net.family === 'evm' && wallet instanceof EvmHotWallet)
    return new EvmSweepChain(net, wallet, keys, opts.disperse);
  if (net.family === 'tron' && wallet instanceof TronHotWallet) {
    // delegate mode: a staking account lends the sweeps their energy
    const lender = opts.tronStakingKey ? new TronEnergyLender(net, wallet, opts.tronStakingKey) : undefined;
    return new TronSweepChain(net, wallet, keys, lender);
  }
  return null;
}
