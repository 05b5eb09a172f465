import { familyOf } from '../families.js';
import type { SweepChainOptions } from '../family.js';
import type { DepositKeys } from '../keys.js';
import type { HotWallet } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { SweepChain } from './types.js';

/**
 * The sweeping side of a network's chain family, or null when the signer has no seed for that family. The hot
 * wallet is the network's payout wallet: top-ups come from it and sweeps go to it.
 */
export function openSweepChain(
  net: NetworkConfig,
  wallet: HotWallet,
  keys: DepositKeys,
  opts: SweepChainOptions,
): SweepChain | null {
  if (!keys.has(net.family)) return null;
  return familyOf(net.family).openSweepChain(net, wallet, keys, opts);
}
