import type { Pool, PoolClient } from '../../db/database.js';
import { type AppError, InsufficientFundsError, NotFoundError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { insertEvents } from '../events/outbox.js';
import type { EventDraft } from '../events/types.js';
import type { AccountRef, ItemOutcome, PostedTransaction, PostingItem } from './types.js';

// Writes a batch of postings in one database transaction. Every account touched is locked in id order
// (so concurrent batches never deadlock on each other), each item is decided on the locked balances in
// turn, and then the whole batch lands with one UPDATE per account and one multi-row INSERT per table.

const SQL = {
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
             update idempotency_keys k set state = 'completed', result = d.result, completed_at = now()
             from unnest($19::text[], $20::text[], $21::text[], $22::jsonb[]) as d(merchant_id, mode, key, result)
             where k.merchant_id = d.merchant_id and k.mode = d.mode and k.key = d.key returning 1),
           v as (
             insert into events (id, merchant_id, mode, type, payload, created_at)
             select * from unnest($23::text[], $24::text[], $25::text[], $26::text[], $27::jsonb[], $28::timestamptz[]) returning 1)
           select (select count(*) from u) + (select count(*) from t) + (select count(*) from e)
                + (select count(*) from i) + (select count(*) from v) as written`,
  },
} as const;

const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;
const ACCOUNT_CACHE_MAX = 200_000;

/** Raised inside a batch when a new account appeared concurrently: the batch starts over. */
class RestartBatch extends Error {}

type AccountKey = string;

type Decision = { ok: true } | { ok: false; error: AppError };

function accountKey(merchantId: string, mode: string, ref: AccountRef): AccountKey {
  return `${merchantId}\u0000${mode}\u0000${ref.kind}\u0000${ref.code}`;
}

interface Row {
  id: bigint;
  merchant_id: string;
  mode: string;
  kind: string;
  code: string;
}

/** A JSON-safe copy of a value (bigint → string), for idempotency results. */
export function toJsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

export class PostingEngine {
  /** Accounts are never deleted, so (merchant, mode, kind, code) → id can be cached for good. */
  private readonly ids = new Map<AccountKey, bigint>();

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  async postBatch(items: PostingItem[]): Promise<ItemOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(items);
      } catch (err) {
        const code = (err as { code?: string }).code;
        const retryable = err instanceof RestartBatch || (code !== undefined && RETRYABLE.has(code));
        if (retryable && attempt < MAX_ATTEMPTS) continue;
        if (items.length > 1) {
          // One bad item must not sink the others: fall back to one transaction per item.
          this.log.warn({ err, size: items.length }, 'ledger batch failed; retrying its items one by one');
          const out: ItemOutcome[] = [];
          for (const item of items) out.push((await this.postBatch([item]))[0]!);
          return out;
        }
        throw err;
      }
    }
  }

  private async resolveIds(client: PoolClient, items: PostingItem[]): Promise<void> {
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

  private remember(rows: Row[]): void {
    if (this.ids.size + rows.length > ACCOUNT_CACHE_MAX) this.ids.clear();
    for (const r of rows) {
      this.ids.set(
        accountKey(r.merchant_id, r.mode, { kind: r.kind as AccountRef['kind'], code: r.code }),
        r.id,
      );
    }
  }

  private async attempt(items: PostingItem[]): Promise<ItemOutcome[]> {
    const client = await this.pool.connect();
    let began = false;
    try {
      await this.resolveIds(client, items);
      await client.query('begin');
      began = true;
      const existing = new Set<bigint>();
      for (const item of items) {
        for (const p of item.postings) {
          for (const ref of [p.from, p.to]) {
            const id = this.ids.get(accountKey(item.merchantId, item.mode, ref));
            if (id !== undefined) existing.add(id);
          }
        }
      }
      const balances = new Map<bigint, bigint>();
      if (existing.size > 0) {
        const locked = await client.query<{ id: bigint; balance_minor: bigint }>({
          ...SQL.lock,
          values: [[...existing]],
        });
        for (const r of locked.rows) balances.set(r.id, r.balance_minor);
      }
      const guarded = await this.runGuards(client, items);
      const plan = this.decide(items, balances, guarded);
      await this.createAccounts(client, plan.newAccounts);
      const outcomes = this.materialise(items, plan.decisions, balances);
      await this.write(client, items, outcomes);
      await client.query('commit');
      return outcomes;
    } catch (err) {
      if (began) await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Decides each item on the running balances. New accounts are given provisional negative ids until they
   * are inserted; an account created in this batch can pay later in the same batch.
   */
  /** Items' own checks inside the transaction (e.g. "this chain transfer is not credited yet"). */
  private async runGuards(client: PoolClient, items: PostingItem[]): Promise<Map<number, AppError>> {
    const rejected = new Map<number, AppError>();
    for (const [i, item] of items.entries()) {
      const error = item.guard ? await item.guard(client) : null;
      if (error) rejected.set(i, error);
    }
    return rejected;
  }

  private decide(items: PostingItem[], balances: Map<bigint, bigint>, guarded: Map<number, AppError>) {
    const running = new Map(balances);
    const newAccounts = new Map<
      AccountKey,
      { provisional: bigint; merchantId: string; mode: string; ref: AccountRef }
    >();
    let nextProvisional = -1n;
    const idOf = (merchantId: string, mode: string, ref: AccountRef, create: boolean): bigint | undefined => {
      const k = accountKey(merchantId, mode, ref);
      const id = this.ids.get(k);
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

  private async createAccounts(
    client: PoolClient,
    newAccounts: Map<AccountKey, { provisional: bigint; merchantId: string; mode: string; ref: AccountRef }>,
  ): Promise<void> {
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

  /** Replays the decisions with real ids and computes each entry's balance-after. */
  private materialise(
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
        const from = this.ids.get(accountKey(item.merchantId, item.mode, p.from))!;
        const to = this.ids.get(accountKey(item.merchantId, item.mode, p.to))!;
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

  private async write(client: PoolClient, items: PostingItem[], outcomes: ItemOutcome[]): Promise<void> {
    const deltas = new Map<bigint, bigint>();
    const tx = {
      id: [] as string[],
      m: [] as string[],
      mode: [] as string[],
      type: [] as string[],
      amount: [] as bigint[],
      from: [] as bigint[],
      to: [] as bigint[],
      desc: [] as (string | null)[],
      meta: [] as (string | null)[],
      at: [] as Date[],
    };
    const en = {
      tx: [] as string[],
      account: [] as bigint[],
      amount: [] as bigint[],
      after: [] as bigint[],
      at: [] as Date[],
    };
    const idem = { m: [] as string[], mode: [] as string[], key: [] as string[], result: [] as string[] };
    let updatedAt: Date | null = null;
    const events: EventDraft[] = [];
    outcomes.forEach((o, i) => {
      const item = items[i]!;
      if (item.idempotency) {
        idem.m.push(item.merchantId);
        idem.mode.push(item.mode);
        idem.key.push(item.idempotency.key);
        idem.result.push(JSON.stringify(toJsonSafe(item.idempotency.result(o))));
      }
      if (!o.ok) return;
      if (item.events) events.push(...item.events(o.transactions));
      for (const t of o.transactions) {
        updatedAt = t.createdAt;
        deltas.set(t.fromAccountId, (deltas.get(t.fromAccountId) ?? 0n) - t.amountMinor);
        deltas.set(t.toAccountId, (deltas.get(t.toAccountId) ?? 0n) + t.amountMinor);
        tx.id.push(t.id);
        tx.m.push(item.merchantId);
        tx.mode.push(item.mode);
        tx.type.push(t.type);
        tx.amount.push(t.amountMinor);
        tx.from.push(t.fromAccountId);
        tx.to.push(t.toAccountId);
        tx.desc.push(t.description);
        tx.meta.push(t.metadata ? JSON.stringify(t.metadata) : null);
        tx.at.push(t.createdAt);
        en.tx.push(t.id, t.id);
        en.account.push(t.fromAccountId, t.toAccountId);
        en.amount.push(-t.amountMinor, t.amountMinor);
        en.after.push(t.fromBalanceAfterMinor, t.toBalanceAfterMinor);
        en.at.push(t.createdAt, t.createdAt);
      }
    });
    // Balances, transactions, entries, idempotency results and outbox events in one round trip.
    await client.query({
      ...SQL.writeBatch,
      values: [
        [...deltas.keys()],
        [...deltas.values()],
        updatedAt,
        tx.id,
        tx.m,
        tx.mode,
        tx.type,
        tx.amount,
        tx.from,
        tx.to,
        tx.desc,
        tx.meta,
        tx.at,
        en.tx,
        en.account,
        en.amount,
        en.after,
        en.at,
        idem.m,
        idem.mode,
        idem.key,
        idem.result,
        events.map((e) => e.id),
        events.map((e) => e.merchantId),
        events.map((e) => e.mode),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => e.createdAt),
      ],
    });
    const later: EventDraft[] = [];
    for (const [i, o] of outcomes.entries()) {
      const after = items[i]!.after;
      if (o.ok && after) later.push(...(await after(client, o.transactions)));
    }
    await insertEvents(client, later);
  }
}
