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
  /** Builds and signs a token transfer; EVM needs the nonce (and the previous fees for a replacement). */
  sign(
    net: NetworkConfig,
    to: string,
    units: bigint,
    opts: { nonce: bigint | null; replacing?: Record<string, string> },
  ): Promise<SignedPayout>;
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
