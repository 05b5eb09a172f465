import type { LocalSigner, SignedPayout } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';

// What the treasury needs from a chain family to sweep deposit addresses of one network into its hot wallet.
// The deposit addresses' keys and the hot wallet's key stay inside the implementation (src/chains/<family>/
// sweep.ts); the treasury hands it indexes, amounts and nonces from the database, and stores what it signs before
// anything is sent. Each prepare… asks the node what the transaction needs before the database transaction; the
// LocalSigner it returns signs with the key alone, inside it. Broadcasting, looking transactions up and cold moves go through the network's HotWallet.

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

/**
 * TRON delegate mode: a staking account lends a deposit address exactly the energy its sweep needs
 * (DelegateResourceContract) and takes it back once the sweep is settled (UnDelegateResourceContract).
 */
export interface EnergyLender {
  /** The staking account. */
  readonly address: string;
  /** Its treasury_transactions signer key. */
  readonly signerKey: string;
  /** Whether it is an account of its own (custody:staking), not the hot wallet. */
  readonly separate: boolean;
  /** Sun of staked TRX to delegate so that `address` has `energy` to use now; 0 when it has it already. */
  stakeFor(address: string, energy: bigint): Promise<bigint>;
  /** Energy `address` can use now (its own and delegated stake, less its usage). */
  energyLeft(address: string): Promise<bigint>;
  /** Sun of stake the staking account can delegate now (getcandelegatedmaxsize, ENERGY). */
  available(): Promise<bigint>;
  prepareDelegate(to: string, sun: bigint): Promise<LocalSigner>;
  prepareUndelegate(to: string, sun: bigint): Promise<LocalSigner>;
  /** All the TRX the staking account owns: liquid, staked, delegated and unfreezing (reconciliation). */
  owned(): Promise<bigint>;
}

/** What sending a deposit address's leftover coin back to the hot wallet moves and costs. */
export interface Leftover {
  amount: bigint;
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
  prepareTopUp(targets: { address: string; amount: bigint }[]): Promise<LocalSigner>;
  /** The deposit address at `index` sends `units` of the token to the hot wallet, with the planned fees. */
  prepareSweep(
    index: bigint,
    from: string,
    units: bigint,
    feeParams: Record<string, string>,
  ): Promise<LocalSigner>;
  /** TRON delegate mode: where the sweeps' energy comes from (absent: sweeps burn the chain's coin). */
  readonly lender?: EnergyLender;
  /**
   * The coin on a swept deposit address worth sending back to the hot wallet: more than `min` after what the
   * transfer costs; null when it does not pay. Absent on chains that leave it where it is.
   */
  leftover?(address: string, min: bigint): Promise<Leftover | null>;
  /** The deposit address at `index` sends `amount` of the chain's coin to the hot wallet. */
  prepareLeftover?(
    index: bigint,
    from: string,
    amount: bigint,
    feeParams: Record<string, string>,
  ): Promise<LocalSigner>;
  close(): void;
}
