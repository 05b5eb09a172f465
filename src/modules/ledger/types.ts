import type { PoolClient } from '../../db/database.js';
import type { AppError } from '../../lib/errors.js';
import type { Mode } from '../../lib/tenant.js';
import type { EventDraft } from '../events/index.js';

export const TX_TYPES = ['deposit', 'withdrawal', 'transfer', 'refund', 'fee', 'adjustment'] as const;
export type TxType = (typeof TX_TYPES)[number];

/** A user account is the merchant's end user; system accounts are the merchant's books (clearing, fees…). */
export interface AccountRef {
  kind: 'user' | 'system';
  code: string;
}

export type Metadata = Record<string, string | number | boolean>;

/** One movement between two accounts. `from` loses `amountMinor`, `to` gains it. */
export interface Posting {
  type: TxType;
  from: AccountRef;
  to: AccountRef;
  amountMinor: bigint;
  description?: string | null;
  metadata?: Metadata | null;
  /** The request field to blame when `from` is a user who does not exist. */
  fromParam?: string;
}

/** What a posted transaction looked like, with the balances right after it. */
export interface PostedTransaction {
  id: string;
  type: TxType;
  amountMinor: bigint;
  from: AccountRef;
  to: AccountRef;
  fromAccountId: bigint;
  toAccountId: bigint;
  fromBalanceAfterMinor: bigint;
  toBalanceAfterMinor: bigint;
  description: string | null;
  metadata: Metadata | null;
  createdAt: Date;
}

export type ItemOutcome = { ok: true; transactions: PostedTransaction[] } | { ok: false; error: AppError };

/**
 * One unit of the batch: its postings all commit or none do. Other items of the same batch are decided
 * on their own. When `idempotency` is set, its key is claimed and completed in the same database transaction.
 */
export interface PostingItem {
  merchantId: string;
  mode: Mode;
  postings: Posting[];
  /**
   * The item's Idempotency-Key, claimed inside the batch's transaction before anything is decided (the
   * request's operation name and hash go into the claim) and completed with `result` before it commits.
   */
  idempotency?: {
    key: string;
    operation: string;
    hash: Buffer;
    result: (outcome: ItemOutcome) => unknown;
  };
  /** Outbox events for an accepted item, written in the same database transaction. */
  events?: (transactions: PostedTransaction[]) => EventDraft[];
  /**
   * Runs first inside the transaction; an error rejects this item alone. Read and lock here (SELECT … FOR
   * UPDATE), write in `after`: a guard's writes would commit with the batch even if the item were refused.
   * Every guard of a batch runs before any `after`, so two items guarding the same row both read it
   * unchanged: a guard that decides a row's state change claims the row in `claims` (one winner per
   * transaction), as a group guard does.
   */
  guard?: (client: PoolClient, claims: TransactionClaims) => Promise<AppError | null>;
  /** Runs inside the transaction after an accepted item is written; may add outbox events. */
  after?: (client: PoolClient, transactions: PostedTransaction[]) => Promise<EventDraft[]>;
  /**
   * Hooks shared by many items (the same object on each): called once per database transaction for all
   * of its items in the batch, so their checks and writes can be set-based SQL (deposit crediting).
   */
  group?: PostingGroup;
}

/**
 * What the guards of one database transaction have claimed so far, shared by all its groups: two groups
 * (two scanner passes) guarding the same row in one transaction both read it unchanged, so the second must
 * learn from here that the first took it. Fresh for every attempt of a batch.
 */
export class TransactionClaims {
  private readonly taken = new Set<string>();

  /** True the first time `key` is claimed in this transaction, false after. */
  claim(key: string): boolean {
    if (this.taken.has(key)) return false;
    this.taken.add(key);
    return true;
  }
}

/** An accepted item of a group, with what it posted. */
export interface GroupAccepted {
  item: PostingItem;
  transactions: PostedTransaction[];
}

/**
 * `guard` and `after` of `PostingItem`, for all of a group's items of one database transaction at once:
 * `guard` answers one error or null per item, in order; a failure of either fails the batch, which the
 * engine then splits until the failing item stands alone (so a group may be called with any subset).
 */
export interface PostingGroup {
  guard?: (
    client: PoolClient,
    items: PostingItem[],
    claims: TransactionClaims,
  ) => Promise<(AppError | null)[]>;
  after?: (client: PoolClient, accepted: GroupAccepted[]) => Promise<EventDraft[]>;
}
