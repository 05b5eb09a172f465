// The events module's public surface: what the rest of the system may import from it.
export { depositCreditText } from './credit-text.js';
export { type EventRow, EventsReader, insertEvents, toStoredEvent } from './outbox.js';
export { createBatchedRedisEventTarget, type LiveEventTarget, liveChannelName } from './redis-target.js';
export { OutboxRelay } from './relay.js';
export {
  type BalanceMessage,
  type DonationMessage,
  isTopicStream,
  OPS_ALL,
  type OpsEventMessage,
  type PubSub,
  TOPIC,
  type TopicStream,
  type Topics,
  type TransactionMessage,
  topicKey,
  topicStream,
} from './topics.js';
export {
  type EventDraft,
  type EventType,
  isWebhookEvent,
  type StoredEvent,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from './types.js';
