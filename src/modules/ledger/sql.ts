import { CURRENT_XID } from '../../db/commit-outcome.js';
import { recordCompleted } from '../idempotency/index.js';

// The posting engine's statements. They are named, so node-postgres prepares each of them once per
// connection.

export const SQL = {
  findAccounts: {
    name: 'ledger_find_accounts',
    text: `select a.id, a.merchant_id, a.mode, a.kind, a.code from accounts a
           join unnest($1::text[], $2::text[], $3::text[], $4::text[]) as r(merchant_id, mode, kind, code)
             on a.merchant_id = r.merchant_id and a.mode = r.mode and a.kind = r.kind and a.code = r.code`,
  },
  lock: {
    name: 'ledger_lock_accounts',
    text: 'select id, balance_minor from accounts where id = any($1::bigint[]) order by id for update',
  },
  create: {
    name: 'ledger_create_accounts',
    text: `insert into accounts (merchant_id, mode, kind, code)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
           on conflict do nothing
           returning id, merchant_id, mode, kind, code`,
  },
  /** The batch transaction's id (assigned now), to ask its fate if COMMIT's answer is lost. */
  currentXid: CURRENT_XID,
  writeBatch: {
    name: 'ledger_write_batch',
    text: `with u as (
             update accounts a set balance_minor = a.balance_minor + d.delta, updated_at = $3
             from unnest($1::bigint[], $2::bigint[]) as d(id, delta) where a.id = d.id returning 1),
           t as (
             insert into ledger_transactions
               (id, merchant_id, mode, type, amount_minor, from_account_id, to_account_id, description, metadata, created_at)
             select * from unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[],
                                  $11::text[], $12::jsonb[], $13::timestamptz[]) returning 1),
           e as (
             insert into ledger_entries (transaction_id, account_id, amount_minor, balance_after_minor, created_at)
             select * from unnest($14::text[], $15::bigint[], $16::bigint[], $17::bigint[], $18::timestamptz[]) returning 1),
           i as (
             ${recordCompleted(
               `unnest($19::text[], $20::text[], $21::text[], $22::jsonb[], $29::text[], $30::bytea[])
                  as d(m, md, k, result, op, h)`,
             )}
             returning 1),
           v as (
             insert into events (id, merchant_id, mode, type, payload, created_at)
             select * from unnest($23::text[], $24::text[], $25::text[], $26::text[], $27::jsonb[], $28::timestamptz[]) returning 1)
           select (select count(*) from u) + (select count(*) from t) + (select count(*) from e)
                + (select count(*) from i) + (select count(*) from v) as written`,
  },
} as const;
