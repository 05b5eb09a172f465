import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import type { Mode } from '../../lib/tenant.js';

// The house books: where the platform's coins are, per network and mode, in the chain's units (see
// migrations/Migration20261206000000_house_books.ts). A posting moves an amount of one asset between two house
// accounts and writes two entries that sum to zero, in the caller's database transaction, so it commits with the
// state change that caused it (a deposit credited, a sweep or a payout confirmed). Every posting has a key
// naming its cause; a key posted before is skipped, so replays after a crash or a rescan post nothing twice.
//
//   deposit  inflow → custody:deposits (token)        a confirmed payment reached a deposit address
//   topup    custody:hot → custody:deposits (native)  gas sent to deposit addresses so they can be swept
//   sweep    custody:deposits → custody:hot (token)   a deposit address emptied into the hot wallet
//   cold     custody:hot → custody:cold (token)       the hot wallet's excess above its ceiling
//   payout   custody:hot → outflow (token)            a withdrawal paid on chain
//   fee      custody:* → network_fees (native)        what a transaction burned (gas, TRX)
//   funding  capital → custody:* (either)             coins ops put in (a hot wallet topped up by hand)
//   custody:staking: TRON's staking account (liquid, staked and delegated TRX) when it is not the hot wallet

export const HOUSE_CODES = [
  'inflow',
  'outflow',
  'capital',
  'custody:deposits',
  'custody:hot',
  'custody:cold',
  'custody:staking',
  'network_fees',
] as const;
export type HouseCode = (typeof HOUSE_CODES)[number];
export type HouseAsset = 'token' | 'native';
export type HouseType = 'deposit' | 'sweep' | 'topup' | 'fee' | 'payout' | 'cold' | 'funding';

export interface HousePosting {
  /** What caused it, unique for ever: `deposit:<chain>:<tx>:<log>`, `payout:<withdrawal id>`, … */
  key: string;
  type: HouseType;
  network: string;
  mode: Mode;
  asset: HouseAsset;
  from: HouseCode;
  to: HouseCode;
  amount: bigint;
  reference?: string | null;
  metadata?: Record<string, string | number | boolean> | null;
}

export interface HouseBalance {
  network: string;
  mode: Mode;
  asset: HouseAsset;
  code: HouseCode;
  balance: bigint;
}

const accountKey = (p: { network: string; mode: Mode; asset: HouseAsset }, code: HouseCode) =>
  `${p.network}\u0000${p.mode}\u0000${p.asset}\u0000${code}`;

export class HouseBooks {
  /** Ids of accounts seen committed (accounts are never deleted, so an id never changes). */
  private readonly ids = new Map<string, bigint>();

  constructor(private readonly pool: Pool) {}

  /**
   * The account's id, created on first use in the caller's transaction. An id is cached only once another
   * transaction committed the row: one this transaction inserted would be gone if it rolled back.
   */
  private async accountId(c: PoolClient, p: HousePosting, code: HouseCode): Promise<bigint> {
    const key = accountKey(p, code);
    const hit = this.ids.get(key);
    if (hit !== undefined) return hit;
    const ins = await c.query<{ id: bigint }>(
      `insert into house_accounts (network, mode, asset, code) values ($1, $2, $3, $4)
       on conflict (network, mode, asset, code) do nothing returning id`,
      [p.network, p.mode, p.asset, code],
    );
    if (ins.rows[0]) return ins.rows[0].id;
    const found = await c.query<{ id: bigint }>(
      'select id from house_accounts where network = $1 and mode = $2 and asset = $3 and code = $4',
      [p.network, p.mode, p.asset, code],
    );
    const id = found.rows[0]!.id;
    this.ids.set(key, id);
    return id;
  }

  /**
   * Posts in the caller's transaction, all in one statement; returns how many postings were new (a key posted
   * before, here or earlier in the list, is skipped). Zero amounts are skipped too: nothing moved.
   */
  async post(c: PoolClient, postings: HousePosting[]): Promise<number> {
    const moved = postings.filter((p) => p.amount !== 0n);
    if (moved.length === 0) return 0;
    const from: bigint[] = [];
    const to: bigint[] = [];
    for (const p of moved) {
      if (p.amount < 0n) throw new RangeError(`house posting ${p.key}: negative amount`);
      if (p.from === p.to) throw new RangeError(`house posting ${p.key}: from and to are the same account`);
      from.push(await this.accountId(c, p, p.from));
      to.push(await this.accountId(c, p, p.to));
    }
    const r = await c.query(
      `with tx as (
         insert into house_transactions (key, type, network, mode, asset, amount, from_account_id, to_account_id,
           reference, metadata)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::bigint[],
           $8::bigint[], $9::text[], $10::jsonb[])
         on conflict (key) do nothing
         returning id, from_account_id, to_account_id, amount)
       insert into house_entries (transaction_id, account_id, amount)
       select id, from_account_id, -amount from tx union all select id, to_account_id, amount from tx`,
      [
        moved.map((p) => p.key),
        moved.map((p) => p.type),
        moved.map((p) => p.network),
        moved.map((p) => p.mode),
        moved.map((p) => p.asset),
        moved.map((p) => p.amount.toString()),
        from,
        to,
        moved.map((p) => p.reference ?? null),
        moved.map((p) => (p.metadata ? JSON.stringify(p.metadata) : null)),
      ],
    );
    return (r.rowCount ?? 0) / 2;
  }

  /** Posts in a transaction of its own (postings that accompany no other write: ops funding). */
  postAlone(postings: HousePosting[]): Promise<number> {
    return inTransaction(this.pool, (c) => this.post(c, postings));
  }

  /** Every account's balance (the sum of its entries), optionally of one network and mode. */
  async balances(filter: { network?: string; mode?: Mode } = {}): Promise<HouseBalance[]> {
    const r = await this.pool.query<{
      network: string;
      mode: Mode;
      asset: HouseAsset;
      code: HouseCode;
      balance: string;
    }>(
      `select a.network, a.mode, a.asset, a.code, coalesce(sum(e.amount), 0)::text as balance
       from house_accounts a left join house_entries e on e.account_id = a.id
       where ($1::text is null or a.network = $1) and ($2::text is null or a.mode = $2)
       group by a.id order by a.network, a.mode, a.asset, a.code`,
      [filter.network ?? null, filter.mode ?? null],
    );
    return r.rows.map((x) => ({ ...x, balance: BigInt(x.balance) }));
  }

  /** One account's balance (0 when it has never been used). */
  async balance(network: string, mode: Mode, asset: HouseAsset, code: HouseCode): Promise<bigint> {
    const r = await this.pool.query<{ balance: string }>(
      `select coalesce(sum(e.amount), 0)::text as balance
       from house_accounts a join house_entries e on e.account_id = a.id
       where a.network = $1 and a.mode = $2 and a.asset = $3 and a.code = $4`,
      [network, mode, asset, code],
    );
    return BigInt(r.rows[0]?.balance ?? '0');
  }
}
