import { getAddress } from 'ethers';
import { TronWeb } from 'tronweb';
import type { Mode } from '../lib/tenant.js';
import type { Family } from './family.js';

// Which networks exist, per mode: chain, token contract and decimals, confirmations, node. Adding a
// network or a token is configuration, not code. The chain key (`TRC20:test`) names a scanner's cursor.

export interface TokenConfig {
  symbol: 'USDT';
  /** As the chain writes it: base58 for TRON, checksummed 0x for EVM. */
  contract: string;
  /** Lower-case hex without 0x and without TRON's 41 prefix: how logs name the emitting contract. */
  contractLogHex: string;
  decimals: number;
}

export interface NetworkConfig {
  network: string;
  family: Family;
  mode: Mode;
  chain: string;
  nodeUrl: string;
  apiKey: string | null;
  token: TokenConfig;
  confirmations: number;
  /** Hex private key of a funded account that simulateDeposit pays from (test mode only). */
  faucetPrivateKey: string | null;
  /** The node is a devnet this process (or the dev server beside it) started: a restart makes it a new chain. */
  devnet?: boolean;
  /** EVM: every RPC URL, tried in order (nodeUrl is the first). */
  rpcUrls?: string[];
  chainId?: number;
}

export const SUPPORTED_NETWORKS = ['TRC20', 'ERC20', 'BEP20', 'POLYGON'] as const;

export function tronToken(contract: string, decimals: number): TokenConfig {
  if (!TronWeb.isAddress(contract)) throw new Error(`not a TRON address: ${contract}`);
  return {
    symbol: 'USDT',
    contract,
    contractLogHex: TronWeb.address.toHex(contract).slice(2).toLowerCase(),
    decimals,
  };
}

export function evmToken(contract: string, decimals: number): TokenConfig {
  const checksummed = getAddress(contract);
  return {
    symbol: 'USDT',
    contract: checksummed,
    contractLogHex: checksummed.slice(2).toLowerCase(),
    decimals,
  };
}

export class NetworkRegistry {
  private readonly byKey = new Map<string, NetworkConfig>();

  constructor(networks: NetworkConfig[]) {
    for (const n of networks) this.byKey.set(`${n.network}:${n.mode}`, n);
  }

  get(network: string, mode: Mode): NetworkConfig | null {
    return this.byKey.get(`${network}:${mode}`) ?? null;
  }

  byChain(chain: string): NetworkConfig | null {
    for (const n of this.byKey.values()) if (n.chain === chain) return n;
    return null;
  }

  all(): NetworkConfig[] {
    return [...this.byKey.values()];
  }
}
