import type { Family } from '../family.js';
import type { NetworkConfig } from '../registry.js';

// What the payout worker needs from a hot wallet on one chain family. Keys live inside the implementation
// (src/chains/tron/hot-wallet.ts, src/chains/evm/hot-wallet.ts), built only by the worker role; nothing here exposes them.

/** A signed transaction as stored before it is sent: enough to rebroadcast it after a crash. */
export interface SignedPayout {
  txHash: string;
  /** TRON: the signed transaction's JSON; EVM: the serialized raw transaction (0x…). */
  raw: string;
  /** EVM only. */
  nonce: bigint | null;
  /** TRON only: after this (on the solidified chain) the transaction can no longer be included. */
  expiresAt: Date | null;
  /** EVM: maxFeePerGas / maxPriorityFeePerGas / gasLimit; TRON: feeLimit and the energy estimate; both: maxCost. */
  feeParams: Record<string, string>;
}

/**
 * Signs with the key alone: everything it needs from the node (fees, gas or energy estimates; TRON: the
 * transaction the node built, with its reference block) was asked before it was made. It asks the node nothing,
 * so it runs inside the database transaction that holds the rows and allocated `nonce` (EVM; null on TRON)
 * without holding them across a network call.
 */
export type LocalSigner = (nonce: bigint | null) => Promise<SignedPayout>;

export type BroadcastResult =
  | { ok: true; known?: boolean }
  | { ok: false; kind: 'expired' | 'nonce_used' | 'retry'; message: string };

export type TxLookup =
  | { state: 'unknown' }
  | {
      state: 'mined';
      success: boolean;
      blockNumber: number;
      confirmations: number;
      /** What the sender paid the network for it (wei: gas used × effective price; TRON: the sun burned). */
      feePaid: bigint;
    };

export interface WalletBalances {
  /** Token units per network (the token of that network). */
  token: Record<string, bigint>;
  /** TRX in sun, or the EVM chain's coin in wei. */
  native: bigint;
}

export interface HotWallet {
  /** `tron:<network chain>:<address>` or `evm:<chainId>:<address>`: one nonce space, one payout queue. */
  readonly key: string;
  readonly family: Family;
  /**
   * The chain orders an account's transactions by nonce (EVM): the database allocates them, and a payout stuck
   * below the fees of the day is replaced at its nonce. Without (TRON), a transaction expires instead.
   */
  readonly nonces: boolean;
  readonly address: string;
  readonly networks: NetworkConfig[];
  balances(): Promise<WalletBalances>;
  /** The most of the chain's coin (sun, wei) this payout may burn: checked against the balance before signing. */
  feeCost(net: NetworkConfig, to: string, units: bigint): Promise<bigint>;
  /** EVM: the next nonce the chain expects (pending), to seed the database's counter once. */
  chainNonce(): Promise<bigint | null>;
  /**
   * Asks the node everything a token transfer needs (fees and gas, or the transaction TRON's node builds; a
   * replacement bumps `replacing`'s fees), before any database transaction; the signer it returns signs locally
   * (EVM needs the nonce).
   */
  prepare(
    net: NetworkConfig,
    to: string,
    units: bigint,
    opts?: { replacing?: Record<string, string> },
  ): Promise<LocalSigner>;
  broadcast(net: NetworkConfig, raw: string): Promise<BroadcastResult>;
  /** The height of the chain's latest block. */
  headBlock(net: NetworkConfig): Promise<number>;
  /** Where a transaction stands; `head` is the pass's one reading of headBlock (confirmations count from it). */
  lookup(net: NetworkConfig, txHash: string, head: () => Promise<number>): Promise<TxLookup>;
  /** TRON: the transaction expired on the solidified chain and is in no block, so it can never land. */
  isDead(net: NetworkConfig, txHash: string, expiresAt: Date | null): Promise<boolean>;
  close(): void;
}

/** The node failed or answered nonsense: leave the payout as it is and try again on the next pass. */
export class PayoutChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayoutChainError';
  }
}
