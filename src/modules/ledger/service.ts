import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { Batcher, BatchItemFailure } from '../../lib/batcher.js';
import {
  type AppError,
  IdempotencyError,
  NotFoundError,
  restoreError,
  ValidationError,
} from '../../lib/errors.js';
import { parseUserId } from '../../lib/ids.js';
import { toJsonSafe } from '../../lib/json.js';
import type { Page } from '../../lib/keyset.js';
import type { Logger } from '../../lib/logger.js';
import {
  ClaimLost,
  type IdempotencyService,
  inProgress,
  keyedTransaction,
  requestHash,
  type StoredAnswer,
  storedRefusal,
  validateIdempotencyKey,
} from '../idempotency/index.js';
import { type AdjustInput, type AdjustResult, adjustmentFromStored, planAdjustment } from './adjustments.js';
import { type HistoryFilter, HistoryReader } from './history.js';
import { HouseBooks } from './house.js';
import type { Tenant } from './operation.js';
import { PostingEngine } from './posting-engine.js';
import { planTransfer, type TransferInput, type TransferResult, transferFromStored } from './transfers.js';
import {
  type ItemOutcome,
  type PostedTransaction,
  type PostingItem,
  TX_TYPES,
  type TxType,
} from './types.js';
import { parseDate } from './validation.js';

// Transfers and adjustments live in their own files; their public names are still exported from here.
export { ADJUSTMENTS_ACCOUNT, type AdjustInput, type AdjustResult } from './adjustments.js';
export type { Tenant } from './operation.js';
export type { TransferInput, TransferResult } from './transfers.js';

export interface HistoryQuery extends Page {
  userId?: unknown;
  type?: unknown;
  from?: unknown;
  to?: unknown;
}

export const MAX_PAGE_SIZE = 100;

/** An idempotency record's result: stored as JSON text (jsonSafeText), so bigints come back as strings. */
type Stored = StoredAnswer;

function storedOutcome(o: ItemOutcome, ok: (t: PostedTransaction[]) => Record<string, unknown>): Stored {
  return o.ok ? { ok: true, value: ok(o.transactions) } : storedRefusal(o.error);
}

export class LedgerService {
  private readonly engine: PostingEngine;
  private readonly batcher: Batcher<PostingItem, ItemOutcome>;
  readonly history: HistoryReader;
  /** The platform's coins on chain, per network (house.ts): posted by deposits, sweeps and payouts. */
  readonly house: HouseBooks;

  constructor(
    private readonly pool: Pool,
    private readonly idempotency: IdempotencyService,
    private readonly maxAmountMinor: bigint,
    log: Logger,
    batch: { maxBatch: number; maxInFlight: number },
  ) {
    this.engine = new PostingEngine(pool, log, (client, items) =>
      this.idempotency.claimWithin(
        client,
        items.map((it) => ({
          scope: { merchantId: it.merchantId, mode: it.mode, key: it.idempotency!.key },
          operation: it.idempotency!.operation,
          hash: it.idempotency!.hash,
        })),
      ),
    );
    this.batcher = new Batcher((items) => this.engine.postBatch(items), batch.maxBatch, batch.maxInFlight);
    this.history = new HistoryReader(pool);
    this.house = new HouseBooks(pool);
  }

  get batchStats() {
    return this.batcher.stats;
  }

  /** Reports each posting batch as it finishes (for metrics): its size, outcomes and duration. */
  observeBatches(
    report: (b: {
      size: number;
      committed: number;
      rejected: number;
      failed: number;
      transactions: number;
      seconds: number;
    }) => void,
  ): void {
    this.batcher.observer = ({ items, results, ms }) => {
      let committed = 0;
      let failed = results ? 0 : items.length;
      let transactions = 0;
      for (const r of results ?? []) {
        if (r instanceof BatchItemFailure) failed++;
        else if (r.ok) {
          committed++;
          transactions += r.transactions.length;
        }
      }
      report({
        size: items.length,
        committed,
        rejected: results ? results.length - committed - failed : 0,
        failed,
        transactions,
        seconds: ms / 1000,
      });
    };
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  /** Runs `fn` in a database transaction of the ledger's pool (for bookkeeping that moves no money). */
  withTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  /** Posts items through the batcher (other modules use this for deposits, payouts, refunds). */
  post(item: PostingItem): Promise<ItemOutcome> {
    return this.batcher.submit(item);
  }

  /** Posts many items queued together, in order (a scanner pass's credits): see `Batcher.submitMany`. */
  postMany(items: PostingItem[]): Promise<ItemOutcome>[] {
    return this.batcher.submitMany(items);
  }

  async transfer(t: Tenant, input: TransferInput, idempotencyKey?: string | null): Promise<TransferResult> {
    const { normalized, item, toResult } = planTransfer(t, input, this.maxAmountMinor);
    const stored = await this.run(t, 'transfer', normalized, idempotencyKey, item, toResult);
    return transferFromStored(stored.value, stored.replayed);
  }

  async adjust(t: Tenant, input: AdjustInput, idempotencyKey?: string | null): Promise<AdjustResult> {
    const { normalized, item, toResult } = planAdjustment(t, input, this.maxAmountMinor);
    const stored = await this.run(t, 'adjust', normalized, idempotencyKey, item, toResult);
    return adjustmentFromStored(stored.value, stored.replayed);
  }

  /** For other modules' money-moving writes (withdrawals): the same idempotent posting as transfers. */
  runIdempotent(
    t: Tenant,
    operation: string,
    normalized: unknown,
    key: string | null | undefined,
    item: PostingItem,
    toResult: (txs: PostedTransaction[]) => Record<string, unknown>,
  ) {
    return this.run(t, operation, normalized, key, item, toResult);
  }

  /**
   * The first answer of a keyed request that was answered already (a stored refusal is thrown, as a replay
   * throws it), or null: no key, an invalid one, none answered, or another request's. A request with the key
   * still running (a batch holds it) is request_in_progress, as it is for every other retry meanwhile: the
   * first may still succeed, and a 400 would tell the client it did not.
   * For a refusal that depends on what may change after the first answer (the merchant's settings): a
   * retry gets its first answer, not today's refusal.
   */
  async answered(
    t: Tenant,
    operation: string,
    normalized: unknown,
    key: string | null | undefined,
  ): Promise<Record<string, unknown> | null> {
    if (key === undefined || key === null) return null;
    let claim: Awaited<ReturnType<IdempotencyService['existing']>>;
    try {
      validateIdempotencyKey(key);
      const scope = { ...t, key };
      if (await this.idempotency.running(scope)) throw inProgress();
      claim = await this.idempotency.existing(scope, operation, requestHash(operation, normalized));
    } catch (err) {
      if (err instanceof IdempotencyError && err.code === 'request_in_progress') throw err;
      if (err instanceof IdempotencyError || err instanceof ValidationError) return null;
      throw err;
    }
    if (!claim) return null;
    const s = claim.result as Stored;
    if (!s.ok) throw restoreError(s.error, true);
    return s.value;
  }

  /** For other modules' keyed writes that post nothing (approving a withdrawal): idempotency's keyedTransaction. */
  keyedTransaction(
    t: Tenant,
    operation: string,
    normalized: unknown,
    key: string | null | undefined,
    fn: (client: PoolClient) => Promise<Record<string, unknown> | AppError>,
  ) {
    const scope = key !== undefined && key !== null ? { ...t, key } : null;
    return keyedTransaction(this.idempotency, this.pool, scope, operation, normalized, fn);
  }

  /**
   * Runs one posting item with idempotency: the batch claims the key in its own database transaction, posts,
   * and stores the result before it commits, so a key is never left claimed by a failure; a key that has a
   * record is answered from it (a replay of what the first request stored, or a refusal), and a key another
   * transaction is running now is request_in_progress. Errors that the posting decided (insufficient funds,
   * unknown payer) are stored and replayed too.
   */
  private async run(
    t: Tenant,
    operation: string,
    normalized: unknown,
    key: string | null | undefined,
    item: PostingItem,
    toResult: (txs: PostedTransaction[]) => Record<string, unknown>,
  ): Promise<{ value: Record<string, unknown>; replayed: boolean }> {
    if (key !== undefined && key !== null) {
      validateIdempotencyKey(key);
      const hash = requestHash(operation, normalized);
      item.idempotency = { key, operation, hash, result: (o) => storedOutcome(o, toResult) };
    }
    const outcome = await this.batcher.submit(item);
    if (!outcome.ok && outcome.error instanceof ClaimLost && item.idempotency) {
      const scope = { ...t, key: item.idempotency.key };
      // Whoever held the key or its record answers: a replay, a reused key, or one still running.
      const claim = await this.idempotency.existing(scope, operation, item.idempotency.hash);
      if (!claim) {
        // No committed record: the transaction that held the key is running it now; or it expired and was
        // removed between the claim and this read, and the request runs anew.
        if (outcome.error.busy) throw inProgress();
        return this.run(t, operation, normalized, key, item, toResult);
      }
      const s = claim.result as Stored;
      if (!s.ok) throw restoreError(s.error, true);
      return { value: s.value, replayed: true };
    }
    if (!outcome.ok) throw outcome.error;
    return { value: toJsonSafe(toResult(outcome.transactions)) as Record<string, unknown>, replayed: false };
  }

  async balance(t: Tenant, userId: unknown) {
    const id = parseUserId(userId, 'userId');
    const row = await this.history.balance(t.merchantId, t.mode, id);
    if (!row) throw new NotFoundError('User', id, 'userId');
    return row;
  }

  /** A user's history (their side of each movement) or, without userId, the merchant's. */
  async transactions(t: Tenant, q: HistoryQuery) {
    const filter = this.filter(q);
    if (q.userId !== undefined && q.userId !== null && q.userId !== '') {
      const userId = parseUserId(q.userId, 'userId');
      const exists = await this.history.balance(t.merchantId, t.mode, userId);
      if (!exists) throw new NotFoundError('User', userId, 'userId');
      return this.history.userHistory(t.merchantId, t.mode, userId, filter);
    }
    return this.history.merchantHistory(t.merchantId, t.mode, filter);
  }

  private filter(q: HistoryQuery): HistoryFilter {
    let type: TxType | null = null;
    if (q.type !== undefined && q.type !== null && q.type !== '') {
      if (typeof q.type !== 'string' || !(TX_TYPES as readonly string[]).includes(q.type)) {
        throw new ValidationError(`type must be one of ${TX_TYPES.join(', ')}`, 'type');
      }
      type = q.type as TxType;
    }
    const from = parseDate(q.from, 'from');
    const to = parseDate(q.to, 'to');
    if (from && to && from >= to) throw new ValidationError('from must be before to', 'from');
    // A connection asks one row more than its page, to learn whether another page follows.
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE_SIZE + 1) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, 'limit');
    }
    const offset = q.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > 10_000_000) {
      throw new ValidationError('page is out of range', 'page');
    }
    return { type, from, to, offset, limit: q.limit, after: q.after, before: q.before, backward: q.backward };
  }
}
