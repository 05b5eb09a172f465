import { ValidationError } from '../../lib/errors.js';
import { jsonSafeText } from '../../lib/json.js';
import type { EventDraft } from '../events/index.js';
import type { ItemOutcome, PostedTransaction, PostingItem } from './types.js';

// The rows one batch writes, as the column arrays of `SQL.writeBatch`: balances, transactions, entries, the
// won keys' idempotency records and the accepted items' outbox events.

/** The rows of one batch write, as the column arrays that `SQL.writeBatch` unnests. */
export interface BatchColumns {
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
export function collectColumns(
  items: PostingItem[],
  outcomes: ItemOutcome[],
  won: Set<number>,
): BatchColumns {
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
export function writeBatchValues({ deltas, updatedAt, tx, en, idem, events }: BatchColumns): unknown[] {
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
