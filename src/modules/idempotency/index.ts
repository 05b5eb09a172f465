// The idempotency module's public surface: what the rest of the system may import from it.
export { IdempotencyService } from './service.js';
