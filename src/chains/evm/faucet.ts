import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import type { NetworkConfig } from '../registry.js';

// Development chains: payments signed by a funded key, so the scanner, confirmations and crediting run exactly
// as for a customer's payment.

const ERC20_ABI = ['function transfer(address to, uint256 amount) returns (bool)'];

function provider(net: NetworkConfig): JsonRpcProvider {
  return new JsonRpcProvider(net.nodeUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 50,
    staticNetwork: true,
  });
}

export async function payEvmToken(
  net: NetworkConfig,
  key: string,
  to: string,
  units: bigint,
): Promise<string> {
  const p = provider(net);
  try {
    const token = new Contract(net.token.contract, ERC20_ABI, new Wallet(key, p));
    const tx = await (token.transfer as (to: string, amount: bigint) => Promise<{ hash: string }>)(to, units);
    return tx.hash;
  } finally {
    p.destroy();
  }
}

/** Sent, not awaited: a devnet without automine includes it in its next block. */
export async function payEvmNative(net: NetworkConfig, key: string, to: string, wei: bigint): Promise<void> {
  const p = provider(net);
  try {
    await new Wallet(key, p).sendTransaction({ to, value: wei });
  } finally {
    p.destroy();
  }
}
