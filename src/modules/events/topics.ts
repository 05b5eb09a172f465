import type { createPubSub } from 'graphql-yoga';
import type { Mode } from '../../lib/tenant.js';
import { depositCreditText } from './credit-text.js';
import type { StoredEvent } from './types.js';

// Live subscription topics, fanned out through Redis pub/sub so every API instance sees every event.
// Payloads carry decimal strings (exact), derived by the relay from the event's data.

export interface BalanceMessage {
  userId: string;
  balance: string;
  transactionId: string;
  updatedAt: string;
}

export interface TransactionMessage {
  id: string;
  userId: string;
  type: string;
  amount: string;
  direction: 'credit' | 'debit';
  balanceBefore: string;
  balanceAfter: string;
  fromUserId: string | null;
  toUserId: string | null;
  description: string | null;
  metadata: Record<string, string | number | boolean> | null;
  createdAt: string;
}

export interface DonationMessage {
  id: string;
  streamId: string;
  fromUserId: string;
  toUserId: string;
  amount: string;
  description: string | null;
  metadata: Record<string, string | number | boolean> | null;
  createdAt: string;
}

export interface EventMessage {
  id: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** Every event of every merchant, for the ops console's live feed (`opsEvents`). */
export interface OpsEventMessage extends EventMessage {
  merchantId: string;
  mode: Mode;
}

export type Topics = {
  balance: [key: string, payload: BalanceMessage];
  transaction: [key: string, payload: TransactionMessage];
  donation: [key: string, payload: DonationMessage];
  event: [key: string, payload: EventMessage];
  deposit: [key: string, payload: Record<string, unknown>];
  withdrawal: [key: string, payload: Record<string, unknown>];
  /** One channel (key `all`) with every event; each subscriber's filter is applied by src/modules/realtime/ops-live.ts. */
  ops: [key: string, payload: OpsEventMessage];
  /** Queue, scanner, backlog and hot-wallet health, read in each API process (never published to Redis). */
  opsHealth: [key: string, payload: unknown];
};

export type PubSub = ReturnType<typeof createPubSub<Topics>>;

/** The key of the ops channel: every event of every merchant is published under it once. */
export const OPS_ALL = 'all';

export function topicKey(merchantId: string, mode: Mode, id: string): string {
  return `${merchantId}:${mode}:${id}`;
}

/** A JSON number that came from minor units (≤ 2 decimals) back to an exact decimal string. */
export function starsText(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`not an amount: ${String(n)}`);
  const negative = n < 0;
  const [whole, frac = ''] = String(Math.abs(n)).split('.');
  if (frac.length > 2 || String(Math.abs(n)).includes('e')) throw new Error(`not a Stars amount: ${n}`);
  return `${negative ? '-' : ''}${whole}.${frac.padEnd(2, '0')}`;
}

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

/** Publishes the live messages an event implies (balances, history rows, donations, the raw event). */
export function publishEvent(publish: Publish, e: StoredEvent): void {
  const d = e.data as unknown as EventData;
  const key = (id: string) => topicKey(e.merchantId, e.mode, id);
  const createdAt = e.createdAt.toISOString();
  publish('event', topicKey(e.merchantId, e.mode, '*'), { id: e.id, type: e.type, data: e.data, createdAt });
  publish('ops', OPS_ALL, {
    id: e.id,
    type: e.type,
    merchantId: e.merchantId,
    mode: e.mode,
    data: e.data,
    createdAt,
  });
  /** The row's parties and text, as the user's history row shows them (transfers: the data's own). */
  type Row = Pick<TransactionMessage, 'fromUserId' | 'toUserId' | 'description' | 'metadata'> & {
    /** The ledger transaction's time when the event's own differs (deposit.confirmed). */
    createdAt?: string;
  };
  const transferRow: Row = {
    fromUserId: d.fromUserId ?? null,
    toUserId: d.toUserId ?? null,
    description: d.description ?? null,
    metadata: d.metadata ?? null,
  };
  const side = (
    userId: string,
    amount: string,
    balanceAfter: string,
    type: string,
    txId: string = d.id,
    row: Row = transferRow,
  ) => {
    const at = row.createdAt ?? createdAt;
    publish('balance', key(userId), {
      userId,
      balance: balanceAfter,
      transactionId: txId,
      updatedAt: at,
    });
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
  if (e.type === 'transfer.completed') {
    const amount = starsText(d.amount);
    side(d.fromUserId, negate(amount), starsText(d.fromBalance), 'transfer');
    side(d.toUserId, amount, starsText(d.toBalance), 'transfer');
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
  } else if (e.type === 'deposit.updated') {
    publish('deposit', key(d.id), e.data);
  } else if (e.type === 'withdrawal.updated') {
    publish('withdrawal', key(d.id), e.data);
  } else if (e.type === 'deposit.confirmed' && d.transactionId && typeof d.balance === 'number') {
    // From the deposit's clearing account (null) to the user, with the posting's text (credit-text.ts).
    side(d.userId, starsText(d.stars), starsText(d.balance), 'deposit', d.transactionId, {
      fromUserId: null,
      toUserId: d.userId,
      ...depositCreditText(d.id, d.txHash, d.network),
      createdAt: d.createdAt,
    });
  } else if (e.type === 'balance.adjusted') {
    // The merchant's adjustments account is the other party: null, as in the history row.
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
  if (e.type === 'withdrawal.updated' && d.movement) {
    // The hold at creation, or a refund: the user's side, as their history row shows it.
    const mv = d.movement;
    side(mv.userId, starsText(mv.amount), starsText(mv.balance), mv.type, mv.transactionId, {
      fromUserId: mv.fromUserId,
      toUserId: mv.toUserId,
      description: mv.description,
      metadata: mv.metadata,
    });
  }
}

/** Where a live stream's messages come from: the topic and key a fan-out can subscribe to once per process. */
export const TOPIC = Symbol.for('novapay.topic');

export interface TopicStream<T> extends AsyncIterable<T> {
  readonly [TOPIC]: { name: keyof Topics; key: string };
}

/**
 * A subscription field's source stream: iterated, it is the topic's messages (for any GraphQL transport);
 * a fan-out (src/modules/realtime) reads its topic instead and shares one subscription among every
 * subscriber of this process. It subscribes only when iterated.
 */
export function topicStream<K extends keyof Topics>(
  pubsub: PubSub,
  name: K,
  key: string,
): TopicStream<Topics[K][1]> {
  return {
    [TOPIC]: { name, key },
    [Symbol.asyncIterator]: () =>
      (pubsub.subscribe as (n: K, k: string) => AsyncIterable<Topics[K][1]>)(name, key)[
        Symbol.asyncIterator
      ](),
  };
}

export function isTopicStream(value: unknown): value is TopicStream<unknown> {
  return typeof value === 'object' && value !== null && TOPIC in value;
}
