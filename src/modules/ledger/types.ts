import type { PoolClient } from '../../db/database.js';
import type { AppError } from '../../lib/errors.js';
import type { EventDraft } from '../events/types.js';
import type { Mode } from '../merchants/entities.js';

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
 * on their own. When `idempotency` is set, its record is completed in the same database transaction.
 */
export interface PostingItem {
  merchantId: string;
  mode: Mode;
  postings: Posting[];
  idempotency?: { key: string; result: (outcome: ItemOutcome) => unknown };
  /** Outbox events for an accepted item, written in the same database transaction. */
  events?: (transactions: PostedTransaction[]) => EventDraft[];
  /**
   * Runs first inside the transaction; an error rejects this item alone. Read and lock here (SELECT … FOR
   * UPDATE), write in `after`: a guard's writes would commit with the batch even if the item were refused.
   */
  guard?: (client: PoolClient) => Promise<AppError | null>;
  /** Runs inside the transaction after an accepted item is written; may add outbox events. */
  after?: (client: PoolClient, transactions: PostedTransaction[]) => Promise<EventDraft[]>;
}
