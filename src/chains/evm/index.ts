import { JsonRpcProvider } from 'ethers';
import type { ChainFamily } from '../family.js';
import type { HotWallet } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import { EvmAdapter } from './adapter.js';
import { parseEvmPayoutAddress } from './address.js';
import { payEvmNative, payEvmToken } from './faucet.js';
import { EvmHotWallet } from './hot-wallet.js';
import { evmNetworks } from './networks.js';
import { EvmSweepChain } from './sweep.js';

// EVM chains behind the family interface: ERC20-style USDT, one hot wallet per chain id (one nonce space for
// every network on it), EIP-1559 gas.

async function chainIdOf(net: NetworkConfig): Promise<number> {
  if (net.chainId) return net.chainId;
  const p = new JsonRpcProvider(net.nodeUrl, undefined, { staticNetwork: true });
  try {
    return Number(await p.send('eth_chainId', []));
  } finally {
    p.destroy();
  }
}

export const evm: ChainFamily = {
  name: 'evm',
  label: 'EVM',
  coinType: 60,
  addressFromEvm: (hex) => hex,
  parsePayoutAddress: parseEvmPayoutAddress,
  storedAddressForms: (address) => [address, address.toLowerCase()],
  configuredXpub: (config) => config.evm.xpub,
  configuredPayoutKey: (config) => config.payouts.evmPrivateKey,
  setupNetworks: evmNetworks,
  openAdapter: (net) => new EvmAdapter(net),
  async openHotWallets(nets, key, _config, log) {
    const byChainId = new Map<number, NetworkConfig[]>();
    for (const net of nets) {
      let id: number;
      try {
        id = await chainIdOf(net);
      } catch (err) {
        log.warn(
          { network: net.network, err: (err as Error).message },
          'EVM node unreachable: its payouts wait',
        );
        continue;
      }
      byChainId.set(id, [...(byChainId.get(id) ?? []), net]);
    }
    return [...byChainId].map(([id, group]): HotWallet => new EvmHotWallet(id, group, key));
  },
  openSweepChain: (net, wallet, keys, opts) =>
    wallet instanceof EvmHotWallet ? new EvmSweepChain(net, wallet, keys, opts.disperse) : null,
  payToken: payEvmToken,
  payNative: payEvmNative,
  devFundingNative: 10n ** 19n,
};
