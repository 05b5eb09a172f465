import type { Mode } from '../../lib/tenant.js';

/** Events a merchant can subscribe a webhook endpoint to (the page's list). */
export const WEBHOOK_EVENT_TYPES = [
  'deposit.confirmed',
  'deposit.failed',
  'payout.completed',
  'payout.failed',
  'transfer.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Internal events feed live subscriptions (and the events list) but are never sent to webhooks. */
export const INTERNAL_EVENT_TYPES = ['balance.adjusted', 'deposit.updated', 'withdrawal.updated'] as const;
export type EventType = WebhookEventType | (typeof INTERNAL_EVENT_TYPES)[number];
export const EVENT_TYPES: readonly EventType[] = [...WEBHOOK_EVENT_TYPES, ...INTERNAL_EVENT_TYPES];

export function isWebhookEvent(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/** An outbox row to write in the same database transaction as the change it describes. */
export interface EventDraft {
  id: string;
  type: EventType;
  merchantId: string;
  mode: Mode;
  /**
   * The webhook `data`: JSON numbers for amounts, as the legacy page shows (a JsonNumber keeps a token amount's
   * exact digits into the jsonb column; deliveries print them in the page's format, webhooks/page-body.ts).
   */
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface StoredEvent extends EventDraft {
  publishedAt: Date | null;
}
