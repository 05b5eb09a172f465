import type { Pool } from '../../db/database.js';
import { byTime, type KeyColumn, keySelect, type Page, pageTail } from '../../lib/keyset.js';
import type { Mode } from '../../lib/tenant.js';
import type { Metadata, TxType } from './types.js';

// Read side of the ledger: balances and history. Reads need no locks; entries are append-only.

export interface BalanceRow {
  userId: string;
  balanceMinor: bigint;
  updatedAt: Date;
}

export interface HistoryFilter extends Page {
  type?: TxType | null;
  from?: Date | null;
  to?: Date | null;
}

/** One row of history. For a user's history, amounts are signed (debits negative). */
export interface HistoryRow {
  id: string;
  type: TxType;
  amountMinor: bigint;
  direction: 'credit' | 'debit';
  balanceBeforeMinor: bigint | null;
  balanceAfterMinor: bigint | null;
  userId: string | null;
  fromUserId: string | null;
  toUserId: string | null;
  description: string | null;
  metadata: Metadata | null;
  createdAt: Date;
}

interface RawRow {
  id: string;
  type: TxType;
  amount_minor: bigint;
  balance_after_minor: bigint | null;
  entry_amount_minor: bigint | null;
  user_code: string | null;
  description: string | null;
  metadata: Metadata | null;
  created_at: Date;
  from_kind: string;
  from_code: string;
  to_kind: string;
  to_code: string;
  page_key: string[];
}

// A user's rows: their entries ($1 merchant, $2 mode, $3 user code), each with its transaction.
const USER_ROWS = `select t.id, t.type, t.amount_minor, e.amount_minor as entry_amount_minor, e.balance_after_minor,
                  $3::text as user_code, t.description, t.metadata, t.created_at,
                  fa.kind as from_kind, fa.code as from_code, ta.kind as to_kind, ta.code as to_code
           from ledger_entries e
           join ledger_transactions t on t.id = e.transaction_id
           join accounts fa on fa.id = t.from_account_id
           join accounts ta on ta.id = t.to_account_id
           where e.account_id = (select id from accounts where merchant_id = $1 and mode = $2 and kind = 'user' and code = $3)`;

// Merchant-wide rows ($1 merchant, $2 mode): see merchantRows below for the side each row shows.
const MERCHANT_ROWS = `select t.id, t.type, t.amount_minor, e.amount_minor as entry_amount_minor, e.balance_after_minor,
                  case when ta.kind = 'user' then ta.code when fa.kind = 'user' then fa.code end as user_code,
                  t.description, t.metadata, t.created_at,
                  fa.kind as from_kind, fa.code as from_code, ta.kind as to_kind, ta.code as to_code
           from ledger_transactions t
           join accounts fa on fa.id = t.from_account_id
           join accounts ta on ta.id = t.to_account_id
           left join ledger_entries e on e.transaction_id = t.id
             and e.account_id = case when ta.kind = 'user' then ta.id when fa.kind = 'user' then fa.id end
           where t.merchant_id = $1 and t.mode = $2 and (fa.kind = 'user' or ta.kind = 'user')`;

// The lists' sort keys: a user's entries by their bigserial (the order they were written), the merchant's
// transactions newest first with the id as the tie-breaker.
const USER_KEY: KeyColumn[] = [{ sql: 'e.id', type: 'bigint' }];
const MERCHANT_KEY = byTime('t.');

/** A list statement with the page's tail: one prepared statement per shape of tail. */
function listQuery(q: { name: string; text: string }, cols: KeyColumn[], f: Page, base: unknown[]) {
  const tail = pageTail(cols, f, base.length + 1);
  const shape = `${f.after ? 'a' : ''}${f.before ? 'b' : ''}${f.backward ? 'r' : ''}`;
  return { name: `${q.name}_${shape}`, text: `${q.text} ${tail.sql}`, values: [...base, ...tail.params] };
}

const SQL = {
  balance: {
    name: 'history_balance',
    text: `select code, balance_minor, updated_at from accounts
           where merchant_id = $1 and mode = $2 and kind = 'user' and code = $3`,
  },
  // Followed by the page's tail (pageTail: key window, order, limit) from $7.
  userRows: {
    name: 'history_user_rows',
    text: `${USER_ROWS.replace('select ', `select ${keySelect(USER_KEY)}, `)}
             and ($4::text is null or t.type = $4)
             and ($5::timestamptz is null or e.created_at >= $5)
             and ($6::timestamptz is null or e.created_at < $6)`,
  },
  // One row of a user's history, by its transaction (a Node read: `node(id:)`).
  userRow: {
    name: 'history_user_row',
    text: `${USER_ROWS}
             and t.id = $4
           order by e.id desc limit 1`,
  },
  userCount: {
    name: 'history_user_count',
    text: `select count(*)::int as n from ledger_entries e
           join ledger_transactions t on t.id = e.transaction_id
           where e.account_id = (select id from accounts where merchant_id = $1 and mode = $2 and kind = 'user' and code = $3)
             and ($4::text is null or t.type = $4)
             and ($5::timestamptz is null or e.created_at >= $5)
             and ($6::timestamptz is null or e.created_at < $6)`,
  },
  // Merchant-wide rows show the side of the user the money went to (or came from, when it went to the
  // merchant's books), so the page's balanceBefore/balanceAfter stay meaningful without a userId. Movements
  // between the merchant's own books (a payout's settlement into fee revenue and outflow) touch no user and
  // have no such side: they are not listed here (docs/architecture.md, "History").
  // Followed by the page's tail from $6.
  merchantRows: {
    name: 'history_merchant_rows',
    text: `${MERCHANT_ROWS.replace('select ', `select ${keySelect(MERCHANT_KEY)}, `)}
             and ($3::text is null or t.type = $3)
             and ($4::timestamptz is null or t.created_at >= $4)
             and ($5::timestamptz is null or t.created_at < $5)`,
  },
  // One merchant-wide row, by id (a Node read): the same side as in the list.
  merchantRow: {
    name: 'history_merchant_row',
    text: `${MERCHANT_ROWS} and t.id = $3`,
  },
  merchantCount: {
    name: 'history_merchant_count',
    text: `select count(*)::int as n from ledger_transactions t
           join accounts fa on fa.id = t.from_account_id
           join accounts ta on ta.id = t.to_account_id
           where t.merchant_id = $1 and t.mode = $2 and (fa.kind = 'user' or ta.kind = 'user')
             and ($3::text is null or t.type = $3)
             and ($4::timestamptz is null or t.created_at >= $4)
             and ($5::timestamptz is null or t.created_at < $5)`,
  },
} as const;

function toRow(r: RawRow): HistoryRow {
  const entry = r.entry_amount_minor;
  const after = r.balance_after_minor;
  return {
    id: r.id,
    type: r.type,
    amountMinor: entry ?? r.amount_minor,
    direction: entry !== null && entry < 0n ? 'debit' : 'credit',
    balanceAfterMinor: after,
    balanceBeforeMinor: after !== null && entry !== null ? after - entry : null,
    userId: r.user_code,
    fromUserId: r.from_kind === 'user' ? r.from_code : null,
    toUserId: r.to_kind === 'user' ? r.to_code : null,
    description: r.description,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

export class HistoryReader {
  constructor(private readonly pool: Pool) {}

  async balance(merchantId: string, mode: Mode, userId: string): Promise<BalanceRow | null> {
    const res = await this.pool.query<{ code: string; balance_minor: bigint; updated_at: Date }>({
      ...SQL.balance,
      values: [merchantId, mode, userId],
    });
    const r = res.rows[0];
    return r ? { userId: r.code, balanceMinor: r.balance_minor, updatedAt: r.updated_at } : null;
  }

  async userHistory(merchantId: string, mode: Mode, userId: string, f: HistoryFilter) {
    const base = [merchantId, mode, userId, f.type ?? null, f.from ?? null, f.to ?? null];
    const [rows, count] = await Promise.all([
      this.pool.query<RawRow>(listQuery(SQL.userRows, USER_KEY, f, base)),
      this.pool.query<{ n: number }>({ ...SQL.userCount, values: base }),
    ]);
    return { rows: rows.rows.map(toRow), keys: rows.rows.map((r) => r.page_key), total: count.rows[0]!.n };
  }

  /** The user's side of one transaction, or null when it did not touch that user (or does not exist). */
  async userTransaction(
    merchantId: string,
    mode: Mode,
    userId: string,
    id: string,
  ): Promise<HistoryRow | null> {
    const res = await this.pool.query<RawRow>({ ...SQL.userRow, values: [merchantId, mode, userId, id] });
    return res.rows[0] ? toRow(res.rows[0]) : null;
  }

  /** One transaction as the merchant-wide list shows it, or null. */
  async transaction(merchantId: string, mode: Mode, id: string): Promise<HistoryRow | null> {
    const res = await this.pool.query<RawRow>({ ...SQL.merchantRow, values: [merchantId, mode, id] });
    return res.rows[0] ? toRow(res.rows[0]) : null;
  }

  async merchantHistory(merchantId: string, mode: Mode, f: HistoryFilter) {
    const base = [merchantId, mode, f.type ?? null, f.from ?? null, f.to ?? null];
    const [rows, count] = await Promise.all([
      this.pool.query<RawRow>(listQuery(SQL.merchantRows, MERCHANT_KEY, f, base)),
      this.pool.query<{ n: number }>({ ...SQL.merchantCount, values: base }),
    ]);
    return { rows: rows.rows.map(toRow), keys: rows.rows.map((r) => r.page_key), total: count.rows[0]!.n };
  }
}
