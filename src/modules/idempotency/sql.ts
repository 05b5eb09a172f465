import { ANSWER_FORMAT, TWO_DECIMAL_AMOUNTS } from './answer-format.js';
import { KEY_LOCK_SPACE, keyLockId } from './key-lock.js';

// The idempotency records' statements (IdempotencyService runs them): claims taken alone or inside a ledger
// batch, completions, and what a claim may take over.

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

export const SQL = {
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
