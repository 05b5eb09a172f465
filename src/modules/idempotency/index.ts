// The idempotency module's public surface: what the rest of the system may import from it.
export {
  type ClaimItem,
  ClaimLost,
  IdempotencyService,
  inProgress,
  requestHash,
  validateIdempotencyKey,
  type WithinClaim,
} from './service.js';
