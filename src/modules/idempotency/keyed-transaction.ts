import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { AppError, restoreError } from '../../lib/errors.js';
import { toJsonSafe } from '../../lib/json.js';
import type { IdempotencyScope, IdempotencyService } from './service.js';

/** A record's answer, as ledger postings and keyed transactions store it (bigints as strings). */
export type StoredAnswer =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: { code: string; message: string; param?: string } };

/** A refusal as a record keeps it: what restoreError rebuilds on a replay. */
export function storedRefusal(e: AppError): StoredAnswer {
  return { ok: false, error: { code: e.code, message: e.message, ...(e.param ? { param: e.param } : {}) } };
}

/**
 * A keyed write that is not a ledger posting (approving a withdrawal): `fn` runs in one transaction, and its
 * answer (a JSON-safe copy) or its refusal (an AppError it returns, not throws) is stored under the key in that
 * same transaction, as a posting's is; a key with a record is answered from it. A refusal is thrown once the
 * transaction has committed; an error thrown by `fn` rolls back and gives the key back (only a claim still in
 * progress is deleted: one this transaction completed and committed stays). Without a scope, just `fn` in a
 * transaction.
 */
export async function keyedTransaction(
  idempotency: IdempotencyService,
  pool: Pool,
  scope: IdempotencyScope | null,
  operation: string,
  normalized: unknown,
  fn: (client: PoolClient) => Promise<Record<string, unknown> | AppError>,
): Promise<{ value: Record<string, unknown>; replayed: boolean }> {
  let token: string | null = null;
  if (scope) {
    const claim = await idempotency.claim(scope, operation, normalized);
    if (claim.kind === 'replay') {
      const s = claim.result as StoredAnswer;
      if (!s.ok) throw restoreError(s.error, true);
      return { value: s.value, replayed: true };
    }
    token = claim.token;
  }
  let out: Record<string, unknown> | AppError;
  try {
    out = await inTransaction(pool, async (c) => {
      const r = await fn(c);
      const stored: StoredAnswer =
        r instanceof AppError
          ? storedRefusal(r)
          : { ok: true, value: toJsonSafe(r) as Record<string, unknown> };
      if (scope) await idempotency.complete(c, scope, stored, token);
      return r;
    });
  } catch (err) {
    if (scope) await idempotency.release(scope, token).catch(() => undefined);
    throw err;
  }
  if (out instanceof AppError) throw out;
  return { value: toJsonSafe(out) as Record<string, unknown>, replayed: false };
}
