import { EvmSweepChain } from '../evm/sweep.js';
import type { DepositKeys } from '../keys.js';
import { EvmHotWallet } from '../payout/evm.js';
import type { HotWallet } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { SweepChain } from './types.js';

/**
 * The sweeping side of a network's chain family, or null when that family cannot sweep yet (TRON: not built)
 * or the signer has no seed for it. The hot wallet is the network's payout wallet: top-ups come from it and
 * sweeps go to it.
 */
export function openSweepChain(
  net: NetworkConfig,
  wallet: HotWallet,
  keys: DepositKeys,
  opts: { disperse: string | null },
): SweepChain | null {
  if (net.family === 'evm' && wallet instanceof EvmHotWallet && keys.has('evm'))
    return new EvmSweepChain(net, wallet, keys, opts.disperse);
  return null;
}
