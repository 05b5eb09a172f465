// The idempotency module's public surface: what the rest of the system may import from it.

export { keyedTransaction, type StoredAnswer, storedRefusal } from './keyed-transaction.js';
export { PURGE_BATCH, type PurgeOptions, type PurgeResult } from './purge.js';
export {
  type ClaimItem,
  ClaimLost,
  IdempotencyService,
  inProgress,
  recordCompleted,
  requestHash,
  validateIdempotencyKey,
  type WithinClaim,
} from './service.js';
