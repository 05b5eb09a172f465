import { IdempotencyError } from '../../lib/errors.js';
import type { Mode } from '../../lib/tenant.js';

// What a claim is: its scope, the items a batch claims, their outcomes, and how a batch's items are ordered and
// decided from their keys' rows (IdempotencyService takes them).

/**
 * A standalone claim: `new` (this request runs; `token` names this claim of the key, for completing or
 * releasing it and no later one), or `replay` (the key's stored result).
 */
export type Claim = { kind: 'new'; token: string } | { kind: 'replay'; result: unknown };

export interface IdempotencyScope {
  merchantId: string;
  mode: Mode;
  key: string;
}

export interface ClaimedRow {
  merchant_id: string;
  mode: Mode;
  key: string;
}

export interface ClaimItem {
  scope: IdempotencyScope;
  operation: string;
  hash: Buffer;
}

/** How a claim taken inside a transaction went (claimWithin). */
export type WithinClaim = 'won' | 'busy' | 'lost';

/**
 * A claim taken inside a ledger batch met a record (claimWithin 'lost'): the item is not posted, and its
 * caller answers from that record once the batch committed (IdempotencyService.existing).
 */
export class ClaimLost extends IdempotencyError {
  /** `busy`: another transaction held the key (it may be running it now, or losing to a record as well). */
  constructor(readonly busy: boolean) {
    super('request_in_progress', 'This Idempotency-Key already has a record or is being processed');
  }
}

/** A request with this key is being processed right now. */
export function inProgress(): IdempotencyError {
  return new IdempotencyError(
    'request_in_progress',
    'A request with this Idempotency-Key is still being processed; retry after it finishes',
  );
}

export const scopeKey = (s: IdempotencyScope) => `${s.merchantId}\u0000${s.mode}\u0000${s.key}`;

/**
 * The first item of each key: an upsert may not touch a row twice, so a key given twice goes into a statement
 * once, and its later items lose to the first, as they would one statement later.
 */
export function firstPerKey(items: ClaimItem[]): Map<string, ClaimItem> {
  const first = new Map<string, ClaimItem>();
  for (const it of items) if (!first.has(scopeKey(it.scope))) first.set(scopeKey(it.scope), it);
  return first;
}

/**
 * In key order: two statements (of this process or another) that share keys lock them in the same order and
 * cannot deadlock each other.
 */
export function inKeyOrder(first: Map<string, ClaimItem>): ClaimItem[] {
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, it]) => it);
}

export interface DecidedRow extends ClaimedRow {
  got: boolean;
  won: boolean;
  /** A standalone claim's token when it won (SQL.claim). */
  token?: string | null;
}

/** Each item's claim from its key's row: the first item of a key gets the key's outcome, the others lose. */
export function decided(
  items: ClaimItem[],
  first: Map<string, ClaimItem>,
  rows: DecidedRow[],
): WithinClaim[] {
  const byKey = new Map<string, WithinClaim>();
  for (const row of rows) {
    const scope = { merchantId: row.merchant_id, mode: row.mode, key: row.key };
    byKey.set(scopeKey(scope), !row.got ? 'busy' : row.won ? 'won' : 'lost');
  }
  return items.map((it) =>
    first.get(scopeKey(it.scope)) === it ? (byKey.get(scopeKey(it.scope)) ?? 'lost') : 'lost',
  );
}
