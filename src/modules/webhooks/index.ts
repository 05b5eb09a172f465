// The webhooks module's public surface: what the rest of the system may import from it.
export { DeliveryDispatcher } from './delivery/dispatcher.js';
export { wakeForRetry } from './delivery/mirror.js';
export type { BodySignature } from './endpoint-input.js';
export { recordDeliveries } from './fan-out.js';
export {
  type AttemptRow,
  type DeliveryJob,
  type DeliveryRow,
  type EndpointRow,
  notifyEndpointClosed,
  WebhooksService,
} from './service.js';
export { WebhookTargets } from './ssrf.js';
