import { newId } from '../../lib/ids.js';
import type { Tenant } from '../../lib/tenant.js';
import type { EventDraft, EventType } from '../events/index.js';
import type { PostedTransaction, PostingItem } from './types.js';

// What the ledger's own operations (transfers, adjustments) share: the tenant they act for, their outbox
// events, and the plan they hand to `LedgerService`, which runs it with idempotency.

export type { Tenant };

/** A validated operation, ready to post: what its idempotency key is bound to, and how to report it. */
export interface PlannedPosting {
  /** The normalized input; a replayed key must come with the same. */
  normalized: unknown;
  item: PostingItem;
  /** The JSON result of an accepted item, as stored for replays. */
  toResult: (txs: PostedTransaction[]) => Record<string, unknown>;
}

/** An outbox event of the tenant, for an operation's `PostingItem.events`. */
export function event(
  t: Tenant,
  type: EventType,
  createdAt: Date,
  data: Record<string, unknown>,
): EventDraft {
  return { id: newId('evt'), type, merchantId: t.merchantId, mode: t.mode, data, createdAt };
}
