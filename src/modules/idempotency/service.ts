import type { Pool, PoolClient } from '../../db/database.js';
import { Batcher } from '../../lib/batcher.js';
import { sha256 } from '../../lib/crypto.js';
import { IdempotencyError, ValidationError } from '../../lib/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../lib/ids.js';
import { canonicalJson } from '../../lib/json.js';
import { type AnswerScope, readAnswerFormat, TWO_DECIMAL_AMOUNTS } from './answer-format.js';
import {
  type Claim,
  type ClaimItem,
  type DecidedRow,
  decided,
  firstPerKey,
  type IdempotencyScope,
  inKeyOrder,
  inProgress,
  scopeKey,
  type WithinClaim,
} from './claims.js';
import { type PurgeOptions, type PurgeResult, purgeExpiredRecords } from './purge.js';
import { SQL } from './sql.js';

export {
  type Claim,
  type ClaimItem,
  ClaimLost,
  type IdempotencyScope,
  inProgress,
  type WithinClaim,
} from './claims.js';
export { recordCompleted } from './sql.js';

// Idempotency records live in PostgreSQL beside the effect they guard: a claim is taken before the work,
// and completed with the stored result in the same database transaction as the work itself. A crash in
// between leaves an in-progress claim that a retry may take over once it is stale; nothing can commit twice.

export function validateIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError('Idempotency key must be 1-255 printable ASCII characters', 'idempotencyKey');
  }
}

export function requestHash(operation: string, input: unknown): Buffer {
  return sha256(`${operation}\n${canonicalJson(input)}`);
}

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
  private readonly claimBatcher = new Batcher<ClaimItem, { outcome: WithinClaim; token: string | null }>(
    (items) => this.claimMany(items),
    CLAIM_BATCH,
    2,
  );

  /**
   * How each claim went. A key claimed twice in one batch goes into the statement once (an upsert may not
   * touch a row twice): its first claim is decided by PostgreSQL, the later ones lose, as they would one
   * statement later, and find the first one's record.
   */
  private async claimMany(items: ClaimItem[]): Promise<{ outcome: WithinClaim; token: string | null }[]> {
    const first = firstPerKey(items);
    const r = await this.upsertClaims(inKeyOrder(first));
    const tokens = new Map(
      r.rows.map((row) => [scopeKey({ ...row, merchantId: row.merchant_id }), row.token]),
    );
    return decided(items, first, r.rows).map((outcome, i) => ({
      outcome,
      token: outcome === 'won' ? (tokens.get(scopeKey(items[i]!.scope)) ?? null) : null,
    }));
  }

  /** The batch's one statement; a deadlock with another writer of these rows (40P01) is tried once more. */
  private async upsertClaims(rows: ClaimItem[], attempt = 1): Promise<{ rows: DecidedRow[] }> {
    try {
      return await this.claimStatement(rows);
    } catch (err) {
      if ((err as { code?: string }).code === '40P01' && attempt < 2)
        return this.upsertClaims(rows, attempt + 1);
      throw err;
    }
  }

  private claimStatement(rows: ClaimItem[]) {
    return this.claims.query<DecidedRow>({
      ...SQL.claim,
      values: [...this.claimColumns(rows), this.lockTimeoutSeconds, this.ttlHours],
    });
  }

  private claimColumns(rows: ClaimItem[]): unknown[] {
    return [
      rows.map((x) => x.scope.merchantId),
      rows.map((x) => x.scope.mode),
      rows.map((x) => x.scope.key),
      rows.map((x) => x.operation),
      rows.map((x) => x.hash),
    ];
  }

  /**
   * Whether a key's completed record's first REST answer printed every amount with two decimals, as before
   * the page's `amount` format (answer-format.ts); false without a record.
   */
  async answeredWithTwoDecimalAmounts(scope: AnswerScope): Promise<boolean> {
    return (await readAnswerFormat(this.pool, scope)) === TWO_DECIMAL_AMOUNTS;
  }

  async claim(scope: IdempotencyScope, operation: string, input: unknown): Promise<Claim> {
    validateIdempotencyKey(scope.key);
    const hash = requestHash(operation, input);
    const { outcome: claimed, token } = await this.claimBatcher.submit({ scope, operation, hash });
    if (claimed === 'won') return { kind: 'new', token: token! };
    if (claimed === 'busy') throw inProgress(); // a ledger batch runs a request with this key right now
    return (await this.existing(scope, operation, hash)) ?? this.claim(scope, operation, input); // expired and removed meanwhile
  }

  /**
   * Claims keys inside `client`'s transaction, which must write every claim it wins as a completed record
   * before it commits (ledger batches do, in their write); nothing of a claim outlives a rollback, and no row
   * is written before that write. Per item: 'won'; 'busy' when another transaction holds the key right now;
   * 'lost' when a record stands. The caller answers both from the key's record (`existing`) after its
   * transaction, request_in_progress while there is none. A key given twice is claimed once: its later items
   * lose to the first, as they would one statement later.
   */
  async claimWithin(client: PoolClient, items: ClaimItem[]): Promise<WithinClaim[]> {
    const first = firstPerKey(items);
    const rows = inKeyOrder(first);
    const keys = [
      rows.map((x) => x.scope.merchantId),
      rows.map((x) => x.scope.mode),
      rows.map((x) => x.scope.key),
    ];
    // Sent together (the read queued behind the locks, no extra round trip); the read starts after the locks.
    const locked = client.query<{ got: boolean }>({ ...SQL.lockWithin, values: keys });
    const read = client.query<{ free: boolean }>({
      ...SQL.readWithin,
      values: [...keys, rows.map((x) => x.hash), this.lockTimeoutSeconds, this.ttlHours],
    });
    read.catch(() => undefined); // awaited below, unless the locks' error is thrown first
    const [got, free] = [(await locked).rows, (await read).rows];
    const decidedRows = rows.map((x, i) => ({
      merchant_id: x.scope.merchantId,
      mode: x.scope.mode,
      key: x.scope.key,
      got: got[i]!.got,
      won: got[i]!.got && free[i]!.free,
    }));
    return decided(items, first, decidedRows);
  }

  /** Writes won claims' records inside `client`'s transaction (what a ledger batch's write does in bulk). */
  async recordWithin(client: PoolClient, records: (ClaimItem & { result: unknown })[]): Promise<void> {
    await client.query({
      ...SQL.recordWithin,
      values: [
        records.map((r) => r.scope.merchantId),
        records.map((r) => r.scope.mode),
        records.map((r) => r.scope.key),
        records.map((r) => JSON.stringify(r.result)),
        records.map((r) => r.operation),
        records.map((r) => r.hash),
      ],
    });
  }

  /**
   * The record a lost claim met: its replay, or the refusal (another request's key, or one still running);
   * null when there is none (expired and removed meanwhile).
   */
  async existing(
    scope: IdempotencyScope,
    operation: string,
    hash: Buffer,
  ): Promise<{ kind: 'replay'; result: unknown } | null> {
    const res = await this.pool.query<{
      operation: string;
      request_hash: Buffer;
      state: string;
      result: unknown;
    }>({
      ...SQL.read,
      values: [scope.merchantId, scope.mode, scope.key],
    });
    const row = res.rows[0];
    if (!row) return null;
    if (row.operation !== operation || !row.request_hash.equals(hash)) {
      throw new IdempotencyError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request; use a new key for a new request',
      );
    }
    if (row.state !== 'completed') throw inProgress();
    return { kind: 'replay', result: row.result };
  }

  /**
   * Whether a request with this key is running right now inside a ledger batch, which holds the key's lock until
   * it commits and writes no record before then. Read before the record: a batch that released the lock by then
   * has committed its record.
   */
  async running(scope: IdempotencyScope): Promise<boolean> {
    const r = await this.pool.query<{ held: boolean }>({
      ...SQL.held,
      values: [scope.merchantId, scope.mode, scope.key],
    });
    return r.rows[0]!.held;
  }

  /**
   * Gives a claim back after an unexpected failure, so a retry can run the request again. With the claim's
   * `token`, only that claim: a request that stalled past the lock timeout, whose key a retry took over, must
   * not delete the retry's claim (a third request could then run beside it).
   */
  async release(scope: IdempotencyScope, token: string | null = null): Promise<void> {
    await this.pool.query({ ...SQL.release, values: [scope.merchantId, scope.mode, scope.key, token] });
  }

  /**
   * Completes a claim inside the caller's transaction (for work that is not a ledger batch). A claim that is no
   * longer there (purged as dead after its request stalled past the TTL, or taken over by a retry: with its
   * `token`, a claim completes only itself), or whose key another transaction holds (a ledger batch that took
   * the stale claim over), throws request_in_progress, so the caller's transaction rolls back instead of committing work that
   * no record guards; a retry then replays the record or runs the request again.
   */
  async complete(
    client: PoolClient,
    scope: IdempotencyScope,
    result: unknown,
    token: string | null = null,
  ): Promise<void> {
    const r = await client.query({
      ...SQL.complete,
      values: [scope.merchantId, scope.mode, scope.key, JSON.stringify(result), token],
    });
    if (r.rowCount !== 1) throw inProgress();
  }

  /**
   * Deletes the completed records past their time to live, and the claims past it whose requests died, in
   * small batches that skip any row or key a claim or a request holds (purge.ts); returns how many. The worker runs it every IDEMPOTENCY_PURGE_INTERVAL_MS (jobs/maintenance.ts).
   */
  async purgeExpired(opts: PurgeOptions = {}): Promise<number> {
    return (await this.purgeExpiredBatches(opts)).purged;
  }

  /** purgeExpired, with how many statements it took. */
  purgeExpiredBatches(opts: PurgeOptions = {}): Promise<PurgeResult> {
    return purgeExpiredRecords(this.pool, this.ttlHours, this.lockTimeoutSeconds, opts);
  }
}
