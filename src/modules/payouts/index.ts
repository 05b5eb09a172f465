// The payouts module's public surface: what the rest of the system may import from it.
export { hotWalletLockKey, PayoutProcessor, type TickResult } from './processor.js';
export { allocateHotNonce, PayoutStore } from './store.js';
export { listenForApprovals, openPayoutWorkflow, type PayoutWorkflow } from './workflow.js';
