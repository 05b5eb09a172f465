import { depositCreditText } from './credit-text.js';
import { OPS_ALL, starsText, type Topics, type TransactionMessage, topicKey } from './topics.js';
import type { StoredEvent } from './types.js';

// The live messages an event implies (topics.ts): the raw event on its merchant's and the ops channel, then per
// event type the balances and history rows of the users it moved, a stream's donation, a deposit's or a
// withdrawal's own update. The relay (relay.ts) publishes them once the event is committed.

function negate(text: string): string {
  return text.startsWith('-') ? text.slice(1) : `-${text}`;
}

function minus(a: string, b: string): string {
  const toMinor = (s: string) => BigInt(s.replace('.', ''));
  const v = toMinor(a) - toMinor(b);
  const abs = v < 0n ? -v : v;
  return `${v < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** The fields of transfer.completed and balance.adjusted data that live messages are made of. */
interface EventData {
  id: string;
  fromUserId: string;
  toUserId: string;
  userId: string;
  amount: number;
  fromBalance: number;
  toBalance: number;
  balance: number;
  direction: 'credit' | 'debit';
  stars: number;
  transactionId: string | null;
  /** deposit.confirmed: the payment's transaction and network, in its history row's metadata. */
  txHash: string;
  network: string;
  /** deposit.confirmed: when the ledger transaction was posted (credit-rows.ts). */
  createdAt: string;
  description?: string | null;
  /** balance.adjusted: the reason, its history row's description unless `description` says otherwise. */
  reason?: string | null;
  /** withdrawal.updated of a step that moved the user's Stars (src/modules/withdrawals/events.ts). */
  movement?: {
    transactionId: string;
    userId: string;
    type: string;
    amount: number;
    balance: number;
    fromUserId: string | null;
    toUserId: string | null;
    description: string | null;
    metadata: Record<string, string | number | boolean> | null;
  };
  metadata?: Record<string, string | number | boolean> | null;
}

type Publish = <K extends keyof Topics>(topic: K, ...args: Topics[K]) => void;

/** The row's parties and text, as the user's history row shows them (transfers: the data's own). */
type Row = Pick<TransactionMessage, 'fromUserId' | 'toUserId' | 'description' | 'metadata'> & {
  /** The ledger transaction's time when the event's own differs (deposit.confirmed). */
  createdAt?: string;
};

/** One event being published: its data, its topic keys, its time, and one user's side of a movement. */
interface Publishing {
  publish: Publish;
  e: StoredEvent;
  d: EventData;
  key: (id: string) => string;
  createdAt: string;
  /** A user's balance and history row after a movement of `amount` (negative: a debit). */
  side(userId: string, amount: string, balanceAfter: string, type: string, txId: string, row: Row): void;
}

function publishing(publish: Publish, e: StoredEvent): Publishing {
  const key = (id: string) => topicKey(e.merchantId, e.mode, id);
  const createdAt = e.createdAt.toISOString();
  const side: Publishing['side'] = (userId, amount, balanceAfter, type, txId, row) => {
    const at = row.createdAt ?? createdAt;
    publish('balance', key(userId), { userId, balance: balanceAfter, transactionId: txId, updatedAt: at });
    publish('transaction', key(userId), {
      id: txId,
      userId,
      type,
      amount,
      direction: amount.startsWith('-') ? 'debit' : 'credit',
      balanceBefore: minus(balanceAfter, amount),
      balanceAfter,
      ...row,
      createdAt: at,
    });
  };
  return { publish, e, d: e.data as unknown as EventData, key, createdAt, side };
}

/** Both sides of a transfer, and the donation when its metadata names a stream. */
function transferCompleted({ publish, d, key, createdAt, side }: Publishing): void {
  const row: Row = {
    fromUserId: d.fromUserId ?? null,
    toUserId: d.toUserId ?? null,
    description: d.description ?? null,
    metadata: d.metadata ?? null,
  };
  const amount = starsText(d.amount);
  side(d.fromUserId, negate(amount), starsText(d.fromBalance), 'transfer', d.id, row);
  side(d.toUserId, amount, starsText(d.toBalance), 'transfer', d.id, row);
  const streamId = d.metadata?.streamId;
  if (typeof streamId === 'string' || typeof streamId === 'number') {
    publish('donation', key(String(streamId)), {
      id: d.id,
      streamId: String(streamId),
      fromUserId: d.fromUserId,
      toUserId: d.toUserId,
      amount,
      description: d.description ?? null,
      metadata: d.metadata ?? null,
      createdAt,
    });
  }
}

/** From the deposit's clearing account (null) to the user, with the posting's text (credit-text.ts). */
function depositConfirmed({ d, side }: Publishing): void {
  if (!d.transactionId || typeof d.balance !== 'number') return;
  side(d.userId, starsText(d.stars), starsText(d.balance), 'deposit', d.transactionId, {
    fromUserId: null,
    toUserId: d.userId,
    ...depositCreditText(d.id, d.txHash, d.network),
    createdAt: d.createdAt,
  });
}

/** The merchant's adjustments account is the other party: null, as in the history row. */
function balanceAdjusted({ d, side }: Publishing): void {
  const amount = starsText(d.amount);
  const debit = d.direction === 'debit';
  side(d.userId, debit ? negate(amount) : amount, starsText(d.balance), 'adjustment', d.id, {
    fromUserId: debit ? d.userId : null,
    toUserId: debit ? null : d.userId,
    // An unexpected payment's credit writes its posting's own description (admin/unexpected.ts).
    description: d.description ?? d.reason ?? null,
    metadata: d.metadata ?? null,
  });
}

/** The withdrawal's own update; with a hold at creation or a refund, the user's side as their history row shows it. */
function withdrawalUpdated({ publish, e, d, key, side }: Publishing): void {
  publish('withdrawal', key(d.id), e.data);
  const mv = d.movement;
  if (!mv) return;
  side(mv.userId, starsText(mv.amount), starsText(mv.balance), mv.type, mv.transactionId, {
    fromUserId: mv.fromUserId,
    toUserId: mv.toUserId,
    description: mv.description,
    metadata: mv.metadata,
  });
}

const BY_TYPE = new Map<string, (p: Publishing) => void>([
  ['transfer.completed', transferCompleted],
  ['deposit.updated', ({ publish, e, d, key }) => publish('deposit', key(d.id), e.data)],
  ['withdrawal.updated', withdrawalUpdated],
  ['deposit.confirmed', depositConfirmed],
  ['balance.adjusted', balanceAdjusted],
]);

/** Publishes the live messages an event implies (balances, history rows, donations, the raw event). */
export function publishEvent(publish: Publish, e: StoredEvent): void {
  const p = publishing(publish, e);
  publish('event', p.key('*'), { id: e.id, type: e.type, data: e.data, createdAt: p.createdAt });
  publish('ops', OPS_ALL, {
    id: e.id,
    type: e.type,
    merchantId: e.merchantId,
    mode: e.mode,
    data: e.data,
    createdAt: p.createdAt,
  });
  BY_TYPE.get(e.type)?.(p);
}
