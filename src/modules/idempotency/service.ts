import type { Pool, PoolClient } from '../../db/database.js';
import { Batcher } from '../../lib/batcher.js';
import { sha256 } from '../../lib/crypto.js';
import { IdempotencyError, ValidationError } from '../../lib/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../lib/ids.js';
import { canonicalJson } from '../../lib/json.js';
import type { Mode } from '../../lib/tenant.js';
import { ANSWER_FORMAT, type AnswerScope, readAnswerFormat, TWO_DECIMAL_AMOUNTS } from './answer-format.js';
import { KEY_LOCK_SPACE, keyLockId } from './key-lock.js';
import { type PurgeOptions, type PurgeResult, purgeExpiredRecords } from './purge.js';

// Idempotency records live in PostgreSQL beside the effect they guard: a claim is taken before the work,
// and completed with the stored result in the same database transaction as the work itself. A crash in
// between leaves an in-progress claim that a retry may take over once it is stale; nothing can commit twice.

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

/**
 * What a claim may take over, as SQL over the record `row`: a stale claim of the same request (`hash`, locked
 * longer ago than `lockSeconds`), or a completed record past its TTL (`ttlHours`). The one rule of both claims.
 */
const takeable = (row: string, hash: string, lockSeconds: string, ttlHours: string) =>
  `(${row}.state = 'in_progress' and ${row}.request_hash = ${hash}
                   and ${row}.locked_at < now() - make_interval(secs => ${lockSeconds}))
              or (${row}.state = 'completed' and ${row}.created_at < now() - make_interval(hours => ${ttlHours}))`;

/**
 * A standalone claim's upsert. A record taken over starts again (created_at = now()): a claim that died and
 * was taken over 50 hours later must not complete as an already expired record, which the next retry would
 * run again instead of replaying.
 */
const TAKE_OVER = `on conflict (merchant_id, mode, key) do update
             set state = 'in_progress', result = null, completed_at = null, locked_at = now(), created_at = now(),
                 operation = excluded.operation, request_hash = excluded.request_hash,
                 answer_format = ${TWO_DECIMAL_AMOUNTS}
           where ${takeable('idempotency_keys', 'excluded.request_hash', '$6', '$7')}`;

/**
 * Writes the records of claims won inside a transaction (claimWithin), completed with their results: a new
 * row, or over whatever the claim found in its way (an expired record, a stale claim). `rows` is a source of
 * (m, md, k, result, op, h) rows. The ledger's write statement uses it with its own parameters.
 */
export const recordCompleted = (rows: string) => `insert into idempotency_keys
               (merchant_id, mode, key, operation, request_hash, state, result, completed_at, created_at, locked_at,
                answer_format)
             select d.m, d.md, d.k, d.op, d.h, 'completed', d.result, now(), now(), now(), ${ANSWER_FORMAT} from ${rows}
             on conflict (merchant_id, mode, key) do update
               set operation = excluded.operation, request_hash = excluded.request_hash, state = 'completed',
                   result = excluded.result, completed_at = now(), created_at = now(), locked_at = now(),
                   answer_format = excluded.answer_format`;

const SQL = {
  // One statement for every standalone claim of a batch (one row per key: see claimMany), committed on its
  // own: the key's transaction-scoped advisory lock (the one ledger batches hold for their whole transaction,
  // see claimWithin) for the statement, then the upsert. A key whose lock is held is 'busy': a ledger batch is
  // running a request with it right now.
  claim: {
    name: 'idem_claim_many',
    text: `with req as materialized (
             select m, md, k, op, h,
                    pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, ${keyLockId('m', 'md', 'k')}) as got
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) as c(m, md, k, op, h)),
           ins as (
             insert into idempotency_keys (merchant_id, mode, key, operation, request_hash, state)
             select m, md, k, op, h, 'in_progress' from req where got
             ${TAKE_OVER}
             returning merchant_id, mode, key, created_at::text as token)
           select r.m as merchant_id, r.md as mode, r.k as key, r.got, i.token, i.token is not null as won
           from req r left join ins i on i.merchant_id = r.m and i.mode = r.md and i.key = r.k`,
  },
  // Claims taken inside the caller's transaction (a ledger batch): a transaction-scoped advisory lock per key
  // says "a request with this key is running" to every other transaction at once, and is held until the
  // batch commits. No row is written here: the batch writes each won key's record once, completed, with its
  // result (LedgerSql.writeBatch). A key is won when nothing stands in the way: no record, a stale claim of
  // the same request, or a completed record past its TTL (`takeable`, as for standalone claims). Every writer of a
  // key takes its lock first (standalone claims above), so nothing can write the key between this read and
  // the batch's write; the purge may delete an expired record meanwhile, and the write then inserts it.
  // Two statements, the locks first and then the read: a statement reads from the snapshot it started with,
  // so a read in the statement that took the lock would not see the record of a batch that committed (and
  // released the lock) between the statement's start and its lock, and both batches would post the key.
  lockWithin: {
    name: 'idem_lock_within',
    text: `select pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, ${keyLockId('m', 'md', 'k')}) as got
           from unnest($1::text[], $2::text[], $3::text[]) with ordinality as c(m, md, k, n) order by n`,
  },
  readWithin: {
    name: 'idem_read_within',
    text: `select x.state is null or ${takeable('x', 'r.h', '$5', '$6')} as free
           from unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) with ordinality as r(m, md, k, h, n)
           left join idempotency_keys x on x.merchant_id = r.m and x.mode = r.md and x.key = r.k
           order by r.n`,
  },
  recordWithin: {
    name: 'idem_record_within',
    text: recordCompleted(
      'unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::bytea[]) as d(m, md, k, result, op, h)',
    ),
  },
  // Whether a transaction holds the key's advisory lock right now (a ledger batch running a request with it),
  // read from pg_locks without taking it: taking it, even for a moment, would turn that batch's claim busy.
  // pg_locks lists every database's locks, and advisory locks are per database: only this one's count.
  held: {
    name: 'idem_held',
    text: `select exists (select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 2
             and database = (select oid from pg_database where datname = current_database())
             and classid = ${KEY_LOCK_SPACE}::oid and objid = ${keyLockId('$1::text', '$2::text', '$3::text')}::oid) as held`,
  },
  read: {
    name: 'idem_read',
    text: 'select operation, request_hash, state, result from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3',
  },
  // `$4`/`$5`: the claim's token (its created_at, restarted by a takeover), or null for whichever claim stands.
  release: {
    name: 'idem_release',
    text: `delete from idempotency_keys where merchant_id = $1 and mode = $2 and key = $3 and state = 'in_progress'
           and ($4::timestamptz is null or created_at = $4::timestamptz)`,
  },
  // The key's advisory lock first, held to the caller's commit, as every writer of a key takes it: a ledger
  // batch that took this claim over (a stale claim of the same request) holds it until it has written its own
  // record, which `recordCompleted` writes over whatever is there. Without it, a stalled request could complete
  // its claim between the batch's read and its write: both would commit their work, and the batch's answer
  // would replace the one the stalled request's client got. A held lock fails the completion like a lost claim.
  complete: {
    name: 'idem_complete',
    text: `with lock as (select pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, ${keyLockId('$1', '$2', '$3')}) as got)
           update idempotency_keys set state = 'completed', result = $4, completed_at = now(),
                  answer_format = ${ANSWER_FORMAT}
           from lock
           where lock.got and merchant_id = $1 and mode = $2 and key = $3 and state = 'in_progress'
             and ($5::timestamptz is null or created_at = $5::timestamptz)`,
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

const scopeKey = (s: IdempotencyScope) => `${s.merchantId}\u0000${s.mode}\u0000${s.key}`;

/**
 * The first item of each key: an upsert may not touch a row twice, so a key given twice goes into a statement
 * once, and its later items lose to the first, as they would one statement later.
 */
function firstPerKey(items: ClaimItem[]): Map<string, ClaimItem> {
  const first = new Map<string, ClaimItem>();
  for (const it of items) if (!first.has(scopeKey(it.scope))) first.set(scopeKey(it.scope), it);
  return first;
}

/**
 * In key order: two statements (of this process or another) that share keys lock them in the same order and
 * cannot deadlock each other.
 */
function inKeyOrder(first: Map<string, ClaimItem>): ClaimItem[] {
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, it]) => it);
}

interface DecidedRow extends ClaimedRow {
  got: boolean;
  won: boolean;
  /** A standalone claim's token when it won (SQL.claim). */
  token?: string | null;
}

/** Each item's claim from its key's row: the first item of a key gets the key's outcome, the others lose. */
function decided(items: ClaimItem[], first: Map<string, ClaimItem>, rows: DecidedRow[]): WithinClaim[] {
  const byKey = new Map<string, WithinClaim>();
  for (const row of rows) {
    const scope = { merchantId: row.merchant_id, mode: row.mode, key: row.key };
    byKey.set(scopeKey(scope), !row.got ? 'busy' : row.won ? 'won' : 'lost');
  }
  return items.map((it) =>
    first.get(scopeKey(it.scope)) === it ? (byKey.get(scopeKey(it.scope)) ?? 'lost') : 'lost',
  );
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
