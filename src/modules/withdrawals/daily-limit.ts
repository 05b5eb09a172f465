import type { PoolClient } from '../../db/database.js';
import { type AppError, ValidationError } from '../../lib/errors.js';
import type { PostingGroup, PostingItem } from '../ledger/index.js';

// The per-user 24-hour withdrawal limit, checked inside the ledger batch that holds the Stars, after the
// user's account is locked: concurrent withdrawals of one user are decided one after the other, each seeing
// the ones committed before it, and the withdrawals of one batch count the earlier ones of the same batch. A
// request whose Idempotency-Key already has a record never reaches this check: it gets its first answer.
// (Checked before the batch, the limit let concurrent withdrawals through together, and refused the retry of
// a withdrawal that had itself used up the limit instead of replaying it.) Withdrawals refunded to the user,
// rejected or failed on chain, do not count: their Stars came back.

export interface DailyLimitCheck {
  merchantId: string;
  mode: string;
  userId: string;
  amountMinor: bigint;
  limitMinor: bigint;
  /** The limit as the merchant's settings write it, for the message. */
  limitText: string;
}

const USED_SQL = `select d.m, d.md, d.u,
         (select coalesce(sum(w.amount_minor), 0) from withdrawals w
          where w.merchant_id = d.m and w.mode = d.md and w.user_id = d.u and w.status not in ('rejected', 'failed')
            and w.created_at > now() - interval '24 hours')::text as used
       from unnest($1::text[], $2::text[], $3::text[]) as d(m, md, u)`;

/** The posting group of every withdrawal hold: `checks` says what each item withdraws, for whom, under which limit. */
export function dailyLimitGroup(checks: WeakMap<PostingItem, DailyLimitCheck>): PostingGroup {
  return {
    guard: async (client: PoolClient, items: PostingItem[]): Promise<(AppError | null)[]> => {
      const list = items.map((item) => checks.get(item)!);
      const r = await client.query<{ m: string; md: string; u: string; used: string }>(USED_SQL, [
        list.map((c) => c.merchantId),
        list.map((c) => c.mode),
        list.map((c) => c.userId),
      ]);
      const used = new Map(r.rows.map((row) => [`${row.m} ${row.md} ${row.u}`, BigInt(row.used)]));
      // In batch order: an item accepted here counts against the next of the same user. (One refused later for
      // insufficient funds still counts against its siblings in this batch: refusing too much, never too little.)
      return list.map((c) => {
        const key = `${c.merchantId} ${c.mode} ${c.userId}`;
        const total = (used.get(key) ?? 0n) + c.amountMinor;
        if (total > c.limitMinor) {
          return new ValidationError(
            `amount exceeds the daily withdrawal limit of ${c.limitText} Stars`,
            'amount',
            'invalid_amount',
          );
        }
        used.set(key, total);
        return null;
      });
    },
  };
}
