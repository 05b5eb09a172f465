import { AppError } from '../lib/errors.js';
import { familyOf } from './families.js';
import type { NetworkConfig } from './registry.js';

// Test mode pays deposits for real on the development chains: a token transfer signed by the network's
// faucet key, so the scanner, confirmations and crediting run exactly as for a customer's payment.

export async function payFromFaucet(net: NetworkConfig, to: string, units: bigint): Promise<string> {
  if (!net.faucetPrivateKey)
    throw new AppError('unsupported_network', `${net.network} has no development faucet`);
  return familyOf(net.family).payToken(net, net.faucetPrivateKey, to, units);
}
