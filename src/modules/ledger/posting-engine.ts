import type { Pool, PoolClient } from '../../db/database.js';
import { BatchItemFailure } from '../../lib/batcher.js';
import { type AppError, unavailableError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { EventDraft } from '../events/index.js';
import { insertEvents } from '../events/index.js';
import { ClaimLost, type WithinClaim } from '../idempotency/index.js';
import { AccountIds, decide, materialise, RestartBatch } from './planning.js';
import { SQL } from './sql.js';
import {
  type GroupAccepted,
  type ItemOutcome,
  type PostedTransaction,
  type PostingGroup,
  type PostingItem,
  TransactionClaims,
} from './types.js';

// Writes a batch of postings in one database transaction. Every account touched is locked in id order
// (so concurrent batches never deadlock on each other), each item is decided on the locked balances in
// turn, and then the whole batch lands with one UPDATE per account and one multi-row INSERT per table.

const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

/** The JSON text of a value, bigints as strings: what an idempotency record stores. */
export function jsonSafeText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A JSON-safe copy of a value (bigint → string): what a replay of its stored text gives back. */
export function toJsonSafe(value: unknown): unknown {
  return JSON.parse(jsonSafeText(value));
}

/** The rows of one batch write, as the column arrays that `SQL.writeBatch` unnests. */
interface BatchColumns {
  /** Net balance change per account id. */
  deltas: Map<bigint, bigint>;
  updatedAt: Date | null;
  tx: {
    id: string[];
    m: string[];
    mode: string[];
    type: string[];
    amount: bigint[];
    from: bigint[];
    to: bigint[];
    desc: (string | null)[];
    meta: (string | null)[];
    at: Date[];
  };
  en: { tx: string[]; account: bigint[]; amount: bigint[]; after: bigint[]; at: Date[] };
  idem: { m: string[]; mode: string[]; key: string[]; result: string[]; op: string[]; hash: Buffer[] };
  events: EventDraft[];
}

function emptyColumns(): BatchColumns {
  return {
    deltas: new Map(),
    updatedAt: null,
    tx: { id: [], m: [], mode: [], type: [], amount: [], from: [], to: [], desc: [], meta: [], at: [] },
    en: { tx: [], account: [], amount: [], after: [], at: [] },
    idem: { m: [], mode: [], key: [], result: [], op: [], hash: [] },
    events: [],
  };
}

/**
 * The idempotency result of every item that won its claim, and each accepted item's events, transactions and
 * entries.
 */
function collectColumns(items: PostingItem[], outcomes: ItemOutcome[], won: Set<number>): BatchColumns {
  const c = emptyColumns();
  outcomes.forEach((o, i) => {
    const item = items[i]!;
    // A refusal of the caller's input (a guard's ValidationError) is not stored, as before the batch: the
    // request can be fixed and sent again with the same key (docs/api.md, Idempotency).
    const stored = o.ok || !(o.error instanceof ValidationError);
    if (item.idempotency && won.has(i) && stored) {
      c.idem.m.push(item.merchantId);
      c.idem.mode.push(item.mode);
      c.idem.key.push(item.idempotency.key);
      c.idem.result.push(jsonSafeText(item.idempotency.result(o)));
      c.idem.op.push(item.idempotency.operation);
      c.idem.hash.push(item.idempotency.hash);
    }
    if (!o.ok) return;
    if (item.events) c.events.push(...item.events(o.transactions));
    for (const t of o.transactions) addTransaction(c, item, t);
  });
  return c;
}

function addTransaction(c: BatchColumns, item: PostingItem, t: PostedTransaction): void {
  const { deltas, tx, en } = c;
  c.updatedAt = t.createdAt;
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

/** The parameters of `SQL.writeBatch`, in order ($1 … $28). */
function writeBatchValues({ deltas, updatedAt, tx, en, idem, events }: BatchColumns): unknown[] {
  return [
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
    idem.op,
    idem.hash,
  ];
}

/** The items of each posting group, by index in batch order. */
function groupsOf(items: PostingItem[]): Map<PostingGroup, number[]> {
  const groups = new Map<PostingGroup, number[]>();
  for (const [i, item] of items.entries()) {
    if (!item.group) continue;
    const list = groups.get(item.group);
    if (list) list.push(i);
    else groups.set(item.group, [i]);
  }
  return groups;
}

/** Claims the keyed items' Idempotency-Keys in the batch's transaction (IdempotencyService.claimWithin). */
export type ClaimKeys = (client: PoolClient, items: PostingItem[]) => Promise<WithinClaim[]>;

export class PostingEngine {
  private readonly accounts = new AccountIds();

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly claimKeys: ClaimKeys,
  ) {}

  /**
   * Posts a batch. A batch that fails for a reason other than a lock conflict is split in halves until the
   * failing items stand alone: every other item is still decided and committed, and each failing item gets
   * its own failure (a 4xx when its own data was refused, else the error), with nothing of it committed.
   */
  async postBatch(items: PostingItem[]): Promise<(ItemOutcome | BatchItemFailure)[]> {
    try {
      return await this.attemptWithRetries(items);
    } catch (err) {
      if (items.length === 1) return [this.itemFailure(err)];
      this.log.debug(
        { err, size: items.length },
        'ledger batch failed; splitting it to isolate the failing item',
      );
      const mid = Math.ceil(items.length / 2);
      // In order: the first half's effects are visible to the second, as they would be in one batch.
      const first = await this.postBatch(items.slice(0, mid));
      const second = await this.postBatch(items.slice(mid));
      return [...first, ...second];
    }
  }

  private async attemptWithRetries(items: PostingItem[]): Promise<ItemOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(items);
      } catch (err) {
        const code = (err as { code?: string }).code;
        const retryable = err instanceof RestartBatch || (code !== undefined && RETRYABLE.has(code));
        if (!retryable || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /** A lone item that PostgreSQL refused: its own data (SQLSTATE class 22) is the caller's 400. */
  private itemFailure(err: unknown): BatchItemFailure {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('22')) {
      this.log.warn({ err }, 'ledger item refused by PostgreSQL: input validation let it through');
      return new BatchItemFailure(
        new ValidationError('The request holds a value that cannot be stored', undefined),
      );
    }
    if (unavailableError(err))
      this.log.warn({ err: (err as Error).message }, 'ledger item: the database is unavailable');
    else this.log.error({ err }, 'ledger item failed; nothing of it was committed');
    return new BatchItemFailure(err);
  }

  private async attempt(items: PostingItem[]): Promise<ItemOutcome[]> {
    const client = await this.pool.connect();
    let began = false;
    let committing = false;
    let broken: Error | undefined;
    try {
      await this.accounts.resolve(client, items);
      await client.query('begin');
      began = true;
      // Keys first, before any account is locked: a claim never waits while holding a balance.
      const claims = await this.claim(client, items);
      // Only the accounts of items still to be decided: a refused claim's item must not wait for (or hold)
      // balances it will not touch, e.g. those the running request with its key holds.
      const existing = this.accounts.existing(
        claims.refused.size > 0 ? items.filter((_, i) => !claims.refused.has(i)) : items,
      );
      const balances = new Map<bigint, bigint>();
      if (existing.size > 0) {
        const locked = await client.query<{ id: bigint; balance_minor: bigint }>({
          ...SQL.lock,
          values: [[...existing]],
        });
        for (const r of locked.rows) balances.set(r.id, r.balance_minor);
      }
      const guarded = await this.runGuards(client, items, claims.refused);
      const plan = decide(this.accounts, items, balances, guarded);
      await this.accounts.create(client, plan.newAccounts);
      const outcomes = materialise(this.accounts, items, plan.decisions, balances);
      await this.write(client, items, outcomes, claims.won);
      began = false;
      committing = true;
      await this.commit(client, outcomes);
      return outcomes;
    } catch (err) {
      // A connection that could not roll back, or whose COMMIT got no answer, is not handed out again.
      if (began)
        await client.query('rollback').catch((e: Error) => {
          broken = e;
        });
      else if (committing && (err as { code?: string }).code === undefined) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * COMMIT, and when it fails without an answer (a broken connection), find out whether it landed: a batch
   * that committed must be answered as committed, never as an error a client would retry.
   */
  private async commit(client: PoolClient, outcomes: ItemOutcome[]): Promise<void> {
    try {
      await client.query('commit');
    } catch (err) {
      const probe = outcomes.find((o) => o.ok && o.transactions.length > 0);
      if (!probe?.ok || (err as { code?: string }).code !== undefined) throw err;
      const landed = await this.pool
        .query({ ...SQL.transactionExists, values: [probe.transactions[0]!.id] })
        .then((r) => r.rowCount === 1);
      if (!landed) throw err;
      this.log.warn({ err }, 'ledger COMMIT answered with an error but the batch had committed');
    }
  }

  /**
   * The keyed items' claims: the items that won theirs (their result is stored by this batch), and those
   * refused: busy (another transaction runs the key: request_in_progress) or lost (a record stands: ClaimLost,
   * answered from that record after the batch).
   */
  private async claim(
    client: PoolClient,
    items: PostingItem[],
  ): Promise<{ won: Set<number>; refused: Map<number, AppError> }> {
    const won = new Set<number>();
    const refused = new Map<number, AppError>();
    const keyed = [...items.keys()].filter((i) => items[i]!.idempotency);
    if (keyed.length === 0) return { won, refused };
    const results = await this.claimKeys(
      client,
      keyed.map((i) => items[i]!),
    );
    keyed.forEach((itemIndex, k) => {
      const r = results[k];
      if (r === 'won') won.add(itemIndex);
      else refused.set(itemIndex, new ClaimLost(r === 'busy'));
    });
    return { won, refused };
  }

  /** Items' own checks inside the transaction (e.g. "this chain transfer is not credited yet"). */
  private async runGuards(
    client: PoolClient,
    items: PostingItem[],
    refused: Map<number, AppError>,
  ): Promise<Map<number, AppError>> {
    const rejected = new Map(refused);
    for (const [i, item] of items.entries()) {
      if (rejected.has(i)) continue;
      const error = item.guard ? await item.guard(client) : null;
      if (error) rejected.set(i, error);
    }
    const claims = new TransactionClaims();
    for (const [group, all] of groupsOf(items)) {
      // Only the items still to be decided: one refused already (its key's record answers it) must not count
      // in a group's check of the others (the daily withdrawal limit).
      const indexes = all.filter((i) => !rejected.has(i));
      if (!group.guard || indexes.length === 0) continue;
      const errors = await group.guard(
        client,
        indexes.map((i) => items[i]!),
        claims,
      );
      indexes.forEach((itemIndex, k) => {
        const error = errors[k];
        if (error) rejected.set(itemIndex, error);
      });
    }
    return rejected;
  }

  private async write(
    client: PoolClient,
    items: PostingItem[],
    outcomes: ItemOutcome[],
    won: Set<number>,
  ): Promise<void> {
    const columns = collectColumns(items, outcomes, won);
    // Balances, transactions, entries, idempotency results and outbox events in one round trip.
    await client.query({ ...SQL.writeBatch, values: writeBatchValues(columns) });
    const later: EventDraft[] = [];
    for (const [i, o] of outcomes.entries()) {
      const after = items[i]!.after;
      if (o.ok && after) later.push(...(await after(client, o.transactions)));
    }
    for (const [group, indexes] of groupsOf(items)) {
      const accepted: GroupAccepted[] = [];
      for (const i of indexes) {
        const o = outcomes[i]!;
        if (o.ok) accepted.push({ item: items[i]!, transactions: o.transactions });
      }
      if (group.after && accepted.length > 0) later.push(...(await group.after(client, accepted)));
    }
    await insertEvents(client, later);
  }
}
