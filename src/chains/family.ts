import type { Config } from '../config.js';
import type { DevnetsInfo } from '../dev/devnet-state.js';
import type { Logger } from '../lib/logger.js';
import type { DepositKeys } from './keys.js';
import type { HotWallet } from './payout/types.js';
import type { NetworkConfig } from './registry.js';
import type { SweepChain } from './sweep/types.js';
import type { ChainAdapter } from './types.js';

// Everything the rest of the system knows of a chain family, behind one interface: each family's folder
// (src/chains/tron, src/chains/evm) exports one of these from its index.ts, and src/chains/families.ts lists
// them. Nothing outside src/chains asks which family a network is; it asks the network's family.

export type Family = 'tron' | 'evm';

/** A family's networks from configuration, and the in-process devnet it started for them (if any). */
export interface FamilyNetworks {
  networks: NetworkConfig[];
  /** What a CLI run on this DATA_DIR needs to reach the devnet (src/dev/devnet-state.ts), when one started. */
  devnet: (object & { close(): Promise<void> }) | null;
  /** The devnet was borrowed from another process: not recorded, not stopped. */
  borrowed: boolean;
}

/** How a family's sweeping side is opened (from SWEEP_POLICY and the signer's secrets). */
export interface SweepChainOptions {
  /** EVM: a Disperse contract that tops many addresses up in one transaction. */
  disperse: string | null;
  /** TRON delegate mode: the key of the account that lends the sweeps their energy. */
  stakingKey?: string | null;
}

export interface ChainFamily {
  readonly name: Family;
  /** How configuration and messages name it: TRON_XPUB, EVM_XPUB. */
  readonly label: 'TRON' | 'EVM';
  /** BIP-44 coin type: deposit addresses are m/44'/<coin>'/0'/0/i, hot wallets m/44'/<coin>'/<account>'/0/0. */
  readonly coinType: number;
  /** The chain's own form of the address whose 20 bytes are `evmHex` (0x…, checksummed). */
  addressFromEvm(evmHex: string): string;
  /** A payout address as the chain writes it, or why it is not one (never a key's owner-less burn address). */
  parsePayoutAddress(value: string): { ok: true; address: string } | { ok: false; why: string };
  /**
   * The spellings under which this family's tables may hold `address` (a payout address as parsePayoutAddress
   * answers it), so a lookup finds it whichever was stored: EVM checksummed and lower case, TRON as it is.
   */
  storedAddressForms(address: string): string[];
  /** The account xpub configured for deposit addresses (null: derive from the development seed). */
  configuredXpub(config: Config): string | null;
  /** The payout key configured directly (PAYOUT_<FAMILY>_PRIVATE_KEY), if any. */
  configuredPayoutKey(config: Config): string | null;
  /** The family's networks, starting an in-process devnet when configuration asks for one. */
  setupNetworks(config: Config, log: Logger, borrow: DevnetsInfo | undefined): Promise<FamilyNetworks>;
  /** The deposit scanner's view of one network. */
  openAdapter(net: NetworkConfig): ChainAdapter;
  /** Hot wallets paying out on these networks of the family, signing with `key`. */
  openHotWallets(nets: NetworkConfig[], key: string, config: Config, log: Logger): Promise<HotWallet[]>;
  /** The sweeping side of a network, signing with the deposit keys; null when this wallet cannot sweep it. */
  openSweepChain(
    net: NetworkConfig,
    wallet: HotWallet,
    keys: DepositKeys,
    opts: SweepChainOptions,
  ): SweepChain | null;
  /** SWEEP_POLICY fields only this family takes (TRON: tronFees, stakingAccount, leftoverMin). */
  readonly sweepPolicyFields?: readonly string[];
  /** Development chains: pays `units` of the network's token from `faucetKey` to `to`; the tx hash. */
  payToken(net: NetworkConfig, faucetKey: string, to: string, units: bigint): Promise<string>;
  /** Development chains: sends the chain's coin (sun, wei) from `faucetKey`, without waiting for a block. */
  payNative(net: NetworkConfig, faucetKey: string, to: string, amount: bigint): Promise<void>;
  /** Development funding of a fresh hot wallet, in the chain's coin. */
  readonly devFundingNative: bigint;
}
