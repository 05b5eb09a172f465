import type { Pool } from 'pg';
import { expect } from 'vitest';

// The ledger's promises, checked in SQL after every concurrency and fault test (one helper, so every such
// test checks all of them): the books balance per merchant and mode and per transaction, every balance is
// the sum of its entries (and each entry's balance-after the running sum), no user is below zero, and every
// acknowledged transaction exists exactly once.

export interface InvariantOptions {
  /** Limit the checks to one merchant (a test file may share its database between tests). */
  merchantId?: string;
  /** Transaction ids the API answered 200 for: each must exist exactly once. */
  acknowledged?: Iterable<string>;
  /** Transaction ids the API refused (4xx/5xx): none may exist. */
  refused?: Iterable<string>;
}

type Row = Record<string, unknown>;

export async function checkLedgerInvariants(pool: Pool, opts: InvariantOptions = {}): Promise<void> {
  const scope = opts.merchantId ?? null;
  const q = async (sql: string, values: unknown[] = [scope]): Promise<Row[]> =>
    (await pool.query(sql, values)).rows;

  const sums = await q(`select a.merchant_id, a.mode, sum(e.amount_minor)::text as total
                        from ledger_entries e join accounts a on a.id = e.account_id
                        where $1::text is null or a.merchant_id = $1
                        group by a.merchant_id, a.mode having sum(e.amount_minor) <> 0`);
  expect(sums, 'entries sum to zero per merchant and mode').toEqual([]);

  const unbalanced =
    await q(`select t.id from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                              where $1::text is null or t.merchant_id = $1
                              group by t.id having sum(e.amount_minor) <> 0 or count(*) <> 2`);
  expect(unbalanced, "each transaction's entries sum to zero").toEqual([]);

  const drift = await q(`select a.id, a.balance_minor::text, coalesce(sum(e.amount_minor), 0)::text as entries
                         from accounts a left join ledger_entries e on e.account_id = a.id
                         where $1::text is null or a.merchant_id = $1
                         group by a.id having a.balance_minor <> coalesce(sum(e.amount_minor), 0)`);
  expect(drift, 'each balance equals the sum of its entries').toEqual([]);

  const chain = await q(`select count(*)::int as bad from (
                           select e.balance_after_minor,
                                  sum(e.amount_minor) over (partition by e.account_id order by e.id) as running
                           from ledger_entries e join accounts a on a.id = e.account_id
                           where $1::text is null or a.merchant_id = $1) x
                         where balance_after_minor <> running`);
  expect(chain[0]!.bad, "each entry's balance-after is the running sum").toBe(0);

  const negative = await q(`select id from accounts where kind = 'user' and balance_minor < 0
                            and ($1::text is null or merchant_id = $1)`);
  expect(negative, 'no user balance below zero').toEqual([]);

  const acknowledged = [...(opts.acknowledged ?? [])];
  if (acknowledged.length > 0) {
    const found = await q(
      `select id, count(*)::int as n from ledger_transactions where id = any($1::text[]) group by id`,
      [acknowledged],
    );
    const counts = new Map(found.map((r) => [r.id as string, r.n as number]));
    const missing = acknowledged.filter((id) => counts.get(id) !== 1);
    expect(missing, 'every acknowledged transaction exists exactly once').toEqual([]);
    expect(new Set(acknowledged).size, 'no transaction id was acknowledged twice').toBe(acknowledged.length);
  }
  const refused = [...(opts.refused ?? [])];
  if (refused.length > 0) {
    const found = await q('select id from ledger_transactions where id = any($1::text[])', [refused]);
    expect(found, 'no refused transaction exists').toEqual([]);
  }
}

/**
 * The house books' promises (src/modules/ledger/house.ts): every transaction has two entries that sum to zero,
 * on its own network, mode and asset; so the entries of every network, mode and asset sum to zero.
 */
export async function checkHouseInvariants(pool: Pool): Promise<void> {
  const bad = await pool.query(`select t.id from house_transactions t
                                join house_entries e on e.transaction_id = t.id
                                join house_accounts a on a.id = e.account_id
                                group by t.id
                                having sum(e.amount) <> 0 or count(*) <> 2
                                  or bool_or(a.network <> t.network or a.mode <> t.mode or a.asset <> t.asset)`);
  expect(bad.rows, "each house transaction's two entries sum to zero on its own books").toEqual([]);
  const sums = await pool.query(`select a.network, a.mode, a.asset, sum(e.amount)::text as total
                                 from house_entries e join house_accounts a on a.id = e.account_id
                                 group by a.network, a.mode, a.asset having sum(e.amount) <> 0`);
  expect(sums.rows, 'house entries sum to zero per network, mode and asset').toEqual([]);
}
