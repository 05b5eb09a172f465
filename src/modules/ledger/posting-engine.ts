import { NotCommitted, OutcomeUnknown, outcomeUnknown } from '../../db/commit-outcome.js';
import type { Pool, PoolClient } from '../../db/database.js';
import { BatchItemFailure } from '../../lib/batcher.js';
import { type AppError, unavailableError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type EventDraft, insertEvents } from '../events/index.js';
import { ClaimLost, type WithinClaim } from '../idempotency/index.js';
import { type BatchColumns, collectColumns, writeBatchValues } from './batch-columns.js';
import { type Committed, commitBatch } from './batch-commit.js';
import { AccountIds, decide, materialise, RestartBatch } from './planning.js';
import { SQL } from './sql.js';
import {
  type GroupAccepted,
  type ItemOutcome,
  type PostingGroup,
  type PostingItem,
  TransactionClaims,
} from './types.js';

// Writes a batch of postings in one database transaction. Every account touched is locked in id order
// (so concurrent batches never deadlock on each other), each item is decided on the locked balances in
// turn, and then the whole batch lands with one UPDATE per account and one multi-row INSERT per table.
//
// The pool's connections pipeline (createPool's `pipeline`): BEGIN goes out with the batch's first statement,
// and COMMIT with its write when no item has an `after` hook, so a plain batch costs two round trips (BEGIN +
// lock, write + COMMIT) instead of four. A COMMIT behind a write that failed answers ROLLBACK: the write's
// error is the batch's, and nothing of it is committed, as before.

const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

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
      if (err instanceof OutcomeUnknown) {
        // Posting any of it again could post it twice: every item fails with the unknown outcome (a 500).
        this.log.error({ err: err.commitError, lookup: err.cause, size: items.length }, err.message);
        return items.map(() => new BatchItemFailure(err));
      }
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
    const state: TransactionState = { open: false, committing: false };
    try {
      await this.accounts.resolve(client, items);
      const begun = client.query('begin');
      state.open = true;
      // The transaction's id, for asking its fate should COMMIT's answer be lost (batch-commit.ts).
      const xidRead = client.query<{ xid: string }>(SQL.currentXid);
      begun.catch(() => undefined); // awaited below; their answers come before the next statement's
      xidRead.catch(() => undefined);
      // Keys first, before any account is locked: a claim never waits while holding a balance.
      const claims = await this.claim(client, items);
      // Only the accounts of items still to be decided: a refused claim's item must not wait for (or hold)
      // balances it will not touch, e.g. those the running request with its key holds.
      const existing = this.accounts.existing(
        claims.refused.size > 0 ? items.filter((_, i) => !claims.refused.has(i)) : items,
      );
      const locking =
        existing.size > 0
          ? client.query<{ id: bigint; balance_minor: bigint }>({ ...SQL.lock, values: [[...existing]] })
          : null;
      locking?.catch(() => undefined); // awaited below, unless BEGIN's error (answered first) is thrown before
      await begun;
      const xid = (await xidRead).rows[0]!.xid;
      const balances = new Map<bigint, bigint>();
      if (locking) for (const r of (await locking).rows) balances.set(r.id, r.balance_minor);
      const guarded = await this.runGuards(client, items, claims.refused);
      const plan = decide(this.accounts, items, balances, guarded);
      await this.accounts.create(client, plan.newAccounts);
      const outcomes = materialise(this.accounts, items, plan.decisions, balances);
      await this.writeAndCommit(
        client,
        items,
        outcomes,
        collectColumns(items, outcomes, claims.won),
        state,
        xid,
      );
      return outcomes;
    } catch (err) {
      // A connection that could not roll back, or whose COMMIT got no answer, is not handed out again.
      if (state.open)
        await client.query('rollback').catch((e: Error) => {
          state.broken = e;
        });
      else if (state.committing && outcomeUnknown(err)) state.broken ??= err as Error;
      throw err;
    } finally {
      client.release(state.broken);
    }
  }

  /**
   * The batch's write, its items' `after` hooks, and COMMIT. Without hooks the write and COMMIT are sent
   * together: a COMMIT behind a failed write ends the transaction as ROLLBACK, and the write's error is thrown.
   */
  private async writeAndCommit(
    client: PoolClient,
    items: PostingItem[],
    outcomes: ItemOutcome[],
    columns: BatchColumns,
    state: TransactionState,
    xid: string,
  ): Promise<void> {
    const written = client.query({ ...SQL.writeBatch, values: writeBatchValues(columns) });
    if (hasAfterHooks(items)) {
      await written;
      await this.afterHooks(client, items, outcomes);
      state.open = false;
      state.committing = true;
      await commitBatch(this.pool, this.log, client, xid);
      return;
    }
    state.open = false;
    state.committing = true;
    const committed = commitBatch(this.pool, this.log, client, xid);
    try {
      await written;
    } catch (err) {
      // The write and COMMIT were answered (or not) together: what COMMIT found out decides.
      let how: Committed;
      try {
        how = await committed;
      } catch (e) {
        // ROLLBACK (NotCommitted): the write's error is the batch's. Without an answer the connection goes.
        if (!(e instanceof NotCommitted) && outcomeUnknown(e)) state.broken = e as Error;
        if (e instanceof OutcomeUnknown) throw e;
        throw err;
      }
      if (how === 'probed') {
        // Both answers were lost, and the batch is there: it committed, whatever the write's error said.
        state.broken = err as Error;
        this.log.warn({ err }, "ledger write's answer was lost, but the batch had committed");
        return;
      }
      // COMMIT answered COMMIT behind a write that never reached PostgreSQL (refused by the client before it
      // was sent): the transaction committed without its write, so no money moved; the batch fails.
      this.log.error(
        { err },
        'ledger write refused before it was sent; its transaction committed without it',
      );
      throw err;
    }
    await committed;
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
    const claims = new TransactionClaims();
    for (const [i, item] of items.entries()) {
      if (rejected.has(i)) continue;
      const error = item.guard ? await item.guard(client, claims) : null;
      if (error) rejected.set(i, error);
    }
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

  /** The accepted items' `after` hooks and their groups', and the events they return. */
  private async afterHooks(client: PoolClient, items: PostingItem[], outcomes: ItemOutcome[]): Promise<void> {
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

/** Where a batch's transaction stands, for the error path: roll back, or drop the connection. */
interface TransactionState {
  /** A transaction is open: roll it back. */
  open: boolean;
  /** COMMIT was sent: an error without a SQLSTATE leaves the outcome unknown, so the connection goes. */
  committing: boolean;
  broken?: Error;
}

function hasAfterHooks(items: PostingItem[]): boolean {
  return items.some((item) => item.after !== undefined || item.group?.after !== undefined);
}
