import type { SignedPayout } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';

// What the treasury needs from a chain family to sweep deposit addresses of one network into its hot wallet.
// The deposit addresses' keys and the hot wallet's key stay inside the implementation (src/chains/<family>/
// sweep.ts); the treasury hands it indexes, amounts and nonces from the database, and stores what it signs before
// anything is sent. Broadcasting, looking transactions up and cold moves go through the network's HotWallet.

export type SignedTx = SignedPayout;

export interface AddressBalances {
  /** The network's token, in base units. */
  token: bigint;
  /** The chain's coin (wei, sun). */
  native: bigint;
}

/** What sweeping an address costs, decided once when the sweep is planned and signed with later. */
export interface SweepCost {
  /** The most of the chain's coin the sweep may burn: the address must hold this before it signs. */
  need: bigint;
  /** Stored with the sweep; the sweep is signed with exactly these (EVM: gasLimit, maxFeePerGas, …). */
  feeParams: Record<string, string>;
}

export interface SweepChain {
  readonly net: NetworkConfig;
  /** Where sweeps go: the network's hot wallet. */
  readonly hotAddress: string;
  /** Whether transactions take nonces from the database (EVM); TRON's do not. */
  readonly usesNonces: boolean;
  /** How many addresses one top-up transaction funds (1 without a batch contract). */
  readonly topUpBatch: number;
  /** The nonce space of an address on this chain (`evm:<chainId>:<address>`). */
  signerKey(address: string): string;
  balances(address: string): Promise<AddressBalances>;
  /** The cost of sweeping `units` from `from` to the hot wallet, at the node's fees now. */
  sweepCost(from: string, units: bigint): Promise<SweepCost>;
  /**
   * Whether the planned fee parameters still cover the sweep now (EVM: the transfer needs no more gas than was
   * estimated: it can grow when the hot wallet's token balance went to zero). When not, the sweep is planned
   * again, topping up only the difference.
   */
  stillCovered(from: string, units: bigint, feeParams: Record<string, string>): Promise<boolean>;
  /** The next nonce the chain expects from `address` (pending), to seed the database's counter once. */
  chainNonce(address: string): Promise<bigint | null>;
  /** A transaction of the hot wallet that sends each target its amount of the chain's coin. */
  signTopUp(targets: { address: string; amount: bigint }[], nonce: bigint | null): Promise<SignedTx>;
  /** The deposit address at `index` sends `units` of the token to the hot wallet, with the planned fees. */
  signSweep(
    index: bigint,
    from: string,
    units: bigint,
    nonce: bigint | null,
    feeParams: Record<string, string>,
  ): Promise<SignedTx>;
  close(): void;
}
