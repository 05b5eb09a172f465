import type { PoolClient } from '../../db/database.js';
import { type AppError, InsufficientFundsError, NotFoundError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { SQL } from './sql.js';
import type { AccountRef, ItemOutcome, PostedTransaction, PostingItem } from './types.js';

// Planning one batch of the posting engine: which account ids its postings touch, which items are accepted
// on the locked balances, and what each accepted item's transactions and balances-after come to.

/** A soft cap: `resolve` empties the cache between batches once it is this full. */
const ACCOUNT_CACHE_MAX = 200_000;
/** Headroom for one batch's accounts (items × postings × 2 sides, far above any real batch). */
const MAX_ACCOUNTS_PER_BATCH = 10_000;

/** Raised inside a batch when a new account appeared concurrently: the batch starts over. */
export class RestartBatch extends Error {}

export type AccountKey = string;

export type Decision = { ok: true } | { ok: false; error: AppError };

/** An account the batch creates; it goes by a provisional negative id until it is inserted. */
export interface NewAccount {
  provisional: bigint;
  merchantId: string;
  mode: string;
  ref: AccountRef;
}

export interface Plan {
  decisions: Decision[];
  newAccounts: Map<AccountKey, NewAccount>;
}

export function accountKey(merchantId: string, mode: string, ref: AccountRef): AccountKey {
  return `${merchantId}\u0000${mode}\u0000${ref.kind}\u0000${ref.code}`;
}

interface Row {
  id: bigint;
  merchant_id: string;
  mode: string;
  kind: string;
  code: string;
}

/** The engine's map from (merchant, mode, kind, code) to account id, and the queries that fill it. */
export class AccountIds {
  /** Accounts are never deleted, so (merchant, mode, kind, code) → id can be cached for good. */
  private readonly ids = new Map<AccountKey, bigint>();

  get(key: AccountKey): bigint | undefined {
    return this.ids.get(key);
  }

  /** Looks up, in one query, the ids of the items' accounts that are not cached yet. */
  async resolve(client: PoolClient, items: PostingItem[]): Promise<void> {
    // Make room before looking up, never after: emptying the cache mid-batch would forget accounts this
    // batch relies on (a valid payer would then look missing).
    if (this.ids.size > ACCOUNT_CACHE_MAX - MAX_ACCOUNTS_PER_BATCH) this.ids.clear();
    const missing = new Map<AccountKey, [string, string, AccountRef]>();
    for (const item of items) {
      for (const p of item.postings) {
        for (const ref of [p.from, p.to]) {
          const k = accountKey(item.merchantId, item.mode, ref);
          if (!this.ids.has(k)) missing.set(k, [item.merchantId, item.mode, ref]);
        }
      }
    }
    if (missing.size === 0) return;
    const v = [...missing.values()];
    const res = await client.query<Row>({
      ...SQL.findAccounts,
      values: [v.map((x) => x[0]), v.map((x) => x[1]), v.map((x) => x[2].kind), v.map((x) => x[2].code)],
    });
    this.remember(res.rows);
  }

  /** The known ids of every account the items touch: the ones to lock. */
  existing(items: PostingItem[]): Set<bigint> {
    const existing = new Set<bigint>();
    for (const item of items) {
      for (const p of item.postings) {
        for (const ref of [p.from, p.to]) {
          const id = this.ids.get(accountKey(item.merchantId, item.mode, ref));
          if (id !== undefined) existing.add(id);
        }
      }
    }
    return existing;
  }

  async create(client: PoolClient, newAccounts: Map<AccountKey, NewAccount>): Promise<void> {
    if (newAccounts.size === 0) return;
    const v = [...newAccounts.values()];
    const res = await client.query<Row>({
      ...SQL.create,
      values: [
        v.map((x) => x.merchantId),
        v.map((x) => x.mode),
        v.map((x) => x.ref.kind),
        v.map((x) => x.ref.code),
      ],
    });
    if (res.rows.length !== v.length) {
      // Someone else created one of them meanwhile, perhaps with a balance: start over with it locked.
      throw new RestartBatch();
    }
    this.remember(res.rows);
  }

  private remember(rows: Row[]): void {
    for (const r of rows) {
      this.ids.set(
        accountKey(r.merchant_id, r.mode, { kind: r.kind as AccountRef['kind'], code: r.code }),
        r.id,
      );
    }
  }
}

/**
 * Decides each item on the running balances. New accounts are given provisional negative ids until they
 * are inserted; an account created in this batch can pay later in the same batch.
 */
export function decide(
  accounts: AccountIds,
  items: PostingItem[],
  balances: Map<bigint, bigint>,
  guarded: Map<number, AppError>,
): Plan {
  const running = new Map(balances);
  const newAccounts = new Map<AccountKey, NewAccount>();
  let nextProvisional = -1n;
  const idOf = (merchantId: string, mode: string, ref: AccountRef, create: boolean): bigint | undefined => {
    const k = accountKey(merchantId, mode, ref);
    const id = accounts.get(k);
    if (id !== undefined && running.has(id)) return id;
    const fresh = newAccounts.get(k);
    if (fresh) return fresh.provisional;
    if (!create) return undefined;
    const provisional = nextProvisional--;
    newAccounts.set(k, { provisional, merchantId, mode, ref });
    running.set(provisional, 0n);
    return provisional;
  };
  const decisions: Decision[] = [];
  for (const [index, item] of items.entries()) {
    const snapshot = new Map(running);
    const createdBefore = new Set(newAccounts.keys());
    let error: AppError | null = guarded.get(index) ?? null;
    if (error) {
      decisions.push({ ok: false, error });
      continue;
    }
    for (const p of item.postings) {
      const from = idOf(item.merchantId, item.mode, p.from, p.from.kind === 'system');
      if (from === undefined) {
        error = new NotFoundError('User', p.from.code, p.fromParam ?? 'fromUserId');
        break;
      }
      const fromBalance = running.get(from)!;
      if (p.from.kind === 'user' && fromBalance < p.amountMinor) {
        error = new InsufficientFundsError();
        break;
      }
      const to = idOf(item.merchantId, item.mode, p.to, true)!;
      running.set(from, fromBalance - p.amountMinor);
      running.set(to, running.get(to)! + p.amountMinor);
    }
    if (error) {
      // Undo this item's tentative effects, including accounts it alone would have created.
      running.clear();
      for (const [k, v] of snapshot) running.set(k, v);
      for (const k of [...newAccounts.keys()]) if (!createdBefore.has(k)) newAccounts.delete(k);
      decisions.push({ ok: false, error });
    } else {
      decisions.push({ ok: true });
    }
  }
  return { decisions, newAccounts };
}

/** Replays the decisions with real ids and computes each entry's balance-after. */
export function materialise(
  accounts: AccountIds,
  items: PostingItem[],
  decisions: Decision[],
  balances: Map<bigint, bigint>,
): ItemOutcome[] {
  const running = new Map(balances);
  const createdAt = new Date();
  return decisions.map((d, i): ItemOutcome => {
    if (!d.ok) return d;
    const item = items[i]!;
    const transactions: PostedTransaction[] = item.postings.map((p) => {
      const from = accounts.get(accountKey(item.merchantId, item.mode, p.from))!;
      const to = accounts.get(accountKey(item.merchantId, item.mode, p.to))!;
      const fromAfter = (running.get(from) ?? 0n) - p.amountMinor;
      running.set(from, fromAfter);
      const toAfter = (running.get(to) ?? 0n) + p.amountMinor;
      running.set(to, toAfter);
      return {
        id: newId('tx'),
        type: p.type,
        amountMinor: p.amountMinor,
        from: p.from,
        to: p.to,
        fromAccountId: from,
        toAccountId: to,
        fromBalanceAfterMinor: fromAfter,
        toBalanceAfterMinor: toAfter,
        description: p.description ?? null,
        metadata: p.metadata ?? null,
        createdAt,
      };
    });
    return { ok: true, transactions };
  });
}
