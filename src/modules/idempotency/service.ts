import type { Pool, PoolClient } from '../../db/database.js';
import { Batcher } from '../../lib/batcher.js';
import { sha256 } from '../../lib/crypto.js';
import { IdempotencyError, ValidationError } from '../../lib/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../lib/ids.js';
import { canonicalJson } from '../../lib/json.js';
import type { Mode } from '../../lib/tenant.js';

// Idempotency records live in PostgreSQL beside the effect they guard: a claim is taken before the work,
// and completed with the stored result in the same database transaction as the work itself. A crash in
// between leaves an in-progress claim that a retry may take over once it is stale; nothing can commit twice.

export type Claim = { kind: 'new' } | { kind: 'replay'; result: unknown };

export interface IdempotencyScope {
  merchantId: string;
  mode: Mode;
  key: string;
}

const SQL = {
  // One statement for every claim of a batch (one row per key: see claimMany).
  claim: {
    name: 'idem_claim_many',
    text: `insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state)
           select m, md, k, op, h, 'in_progress'
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) as c(m, md, k, op, h)
           on conflict (merchant_id, mode, key) do update
             set state = 'in_progress', result = null, completed_at = null, locked_at = now(),
                 created_at = case when idempotency_keys.state = 'completed' then now() else idempotency_keys.created_at end,
                 operation = excluded.operation, request_hash = excluded.request_hash
           where (idempotency_keys.state = 'in_progress' and idempotency_keys.request_hash = excluded.request_hash
                  and idempotency_keys.locked_at < now() - make_interval(secs => $6))
              or (idempotency_keys.state = 'completed' and idempotency_keys.created_at < now() - make_interval(hours => $7))
           returning merchant_id, mode, key`,
  },
  read: {
    name: 'idem_read',
    text: 'select operation, request_hash, state, result from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3',
  },
  release: {
    name: 'idem_release',
    text: `delete from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3 and state = 'in_progress'`,
  },
  complete: {
    name: 'idem_complete',
    text: `update idempotency_keys set state = 'completed', result = $4, completed_at = now()
           where merchant_id = $1 and mode = $2 and key = $3`,
  },
} as const;

export function validateIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError('Idempotency key must be 1-255 printable ASCII characters', 'idempotencyKey');
  }
}

export function requestHash(operation: string, input: unknown): Buffer {
  return sha256(`${operation}\n${canonicalJson(input)}`);
}

interface ClaimedRow {
  merchant_id: string;
  mode: Mode;
  key: string;
}

interface ClaimItem {
  scope: IdempotencyScope;
  operation: string;
  hash: Buffer;
}

const scopeKey = (s: IdempotencyScope) => `${s.merchantId}\u0000${s.mode}\u0000${s.key}`;

/** Claims sent in one statement at most. */
const CLAIM_BATCH = 100;

export class IdempotencyService {
  /**
   * `claims` takes the claim statements: a pool with asynchronous commit may be given (createPool's
   * asyncCommit), because a claim only matters once the request's own transaction, which completes it,
   * commits, and that commit makes the claim durable with it. A claim lost in a crash before then leaves
   * nothing done, so a retry runs the request again, as it should.
   */
  constructor(
    private readonly pool: Pool,
    private readonly lockTimeoutSeconds: number,
    private readonly ttlHours: number,
    private readonly claims: Pool = pool,
  ) {}

  /**
   * Concurrent claims go to PostgreSQL together, one statement and one commit per batch instead of one each;
   * an idle service sends a claim at once.
   */
  private readonly claimBatcher = new Batcher<ClaimItem, boolean>(
    (items) => this.claimMany(items),
    CLAIM_BATCH,
    2,
  );

  /**
   * Whether each claim was won. A key claimed twice in one batch goes into the statement once (an upsert may
   * not touch a row twice): its first claim is decided by PostgreSQL, the later ones lose, as they would one
   * statement later, and find the first one's record.
   */
  private async claimMany(items: ClaimItem[]): Promise<boolean[]> {
    const inserted = new Map<string, number>();
    const rows: ClaimItem[] = [];
    for (const [i, it] of items.entries()) {
      const k = scopeKey(it.scope);
      if (inserted.has(k)) continue;
      inserted.set(k, i);
      rows.push(it);
    }
    // In key order: two batches (of this process or another) that share keys lock them in the same order and
    // cannot deadlock each other.
    rows.sort((x, y) => (scopeKey(x.scope) < scopeKey(y.scope) ? -1 : 1));
    const r = await this.upsertClaims(rows);
    const won = new Set(r.rows.map((x) => scopeKey({ merchantId: x.merchant_id, mode: x.mode, key: x.key })));
    return items.map((it, i) => won.has(scopeKey(it.scope)) && inserted.get(scopeKey(it.scope)) === i);
  }

  /** The batch's one statement; a deadlock with another writer of these rows (40P01) is tried once more. */
  private async upsertClaims(rows: ClaimItem[], attempt = 1): Promise<{ rows: ClaimedRow[] }> {
    try {
      return await this.claimStatement(rows);
    } catch (err) {
      if ((err as { code?: string }).code === '40P01' && attempt < 2)
        return this.upsertClaims(rows, attempt + 1);
      throw err;
    }
  }

  private claimStatement(rows: ClaimItem[]) {
    return this.claims.query<ClaimedRow>({
      ...SQL.claim,
      values: [
        rows.map((x) => x.scope.merchantId),
        rows.map((x) => x.scope.mode),
        rows.map((x) => x.scope.key),
        rows.map((x) => x.operation),
        rows.map((x) => x.hash),
        this.lockTimeoutSeconds,
        this.ttlHours,
      ],
    });
  }

  async claim(scope: IdempotencyScope, operation: string, input: unknown): Promise<Claim> {
    validateIdempotencyKey(scope.key);
    const hash = requestHash(operation, input);
    const values = [scope.merchantId, scope.mode, scope.key];
    if (await this.claimBatcher.submit({ scope, operation, hash })) return { kind: 'new' };
    const res = await this.pool.query<{
      operation: string;
      request_hash: Buffer;
      state: string;
      result: unknown;
    }>({
      ...SQL.read,
      values,
    });
    const row = res.rows[0];
    if (!row) return this.claim(scope, operation, input); // expired and removed meanwhile
    if (row.operation !== operation || !row.request_hash.equals(hash)) {
      throw new IdempotencyError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request; use a new key for a new request',
      );
    }
    if (row.state !== 'completed') {
      throw new IdempotencyError(
        'request_in_progress',
        'A request with this Idempotency-Key is still being processed; retry after it finishes',
      );
    }
    return { kind: 'replay', result: row.result };
  }

  /** Gives a claim back after an unexpected failure, so a retry can run the request again. */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.pool.query({ ...SQL.release, values: [scope.merchantId, scope.mode, scope.key] });
  }

  /** Completes a claim inside the caller's transaction (for work that is not a ledger batch). */
  async complete(client: PoolClient, scope: IdempotencyScope, result: unknown): Promise<void> {
    await client.query({
      ...SQL.complete,
      values: [scope.merchantId, scope.mode, scope.key, JSON.stringify(result)],
    });
  }

  /** Deletes records past their time to live (run periodically). */
  async purgeExpired(): Promise<number> {
    const res = await this.pool.query(
      `delete from idempotency_keys where state = 'completed' and created_at < now() - make_interval(hours => $1)`,
      [this.ttlHours],
    );
    return res.rowCount ?? 0;
  }
}
