// The payouts module's public surface: what the rest of the system may import from it.

export {
  allocateHotNonce,
  hotNonceSeed,
  isStale,
  PREPARED_TTL_MS,
  type PreparedSigning,
  prepareSigning,
} from './prepared.js';
export { hotWalletLockKey, PayoutProcessor, type TickResult } from './processor.js';
export { PayoutStore } from './store.js';
export { listenForApprovals, openPayoutWorkflow, type PayoutWorkflow } from './workflow.js';
