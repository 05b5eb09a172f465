import type { createPubSub } from 'graphql-yoga';
import type { Mode } from '../../lib/tenant.js';

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
