// The treasury: sweeping deposit addresses into the hot wallet, topping them up with the chain's coin first,
// moving the hot wallet's excess to cold, and the house books of all of it (docs/treasury.md). This file is the
// module's public surface.

export {
  bullEnqueue,
  type EnqueueSweep,
  type SweepingControl,
  type SweepRequest,
  TreasuryControls,
} from './controls.js';
export { resolvePolicy, type SweepPolicy } from './policy.js';
export { type CustodyCheck, type Reconciliation, reconcileNetwork } from './reconcile.js';
export { type FundingInput, TreasuryService } from './service.js';
export { openSweepers, type Sweepers } from './setup.js';
export { type TreasuryDifference, type TreasuryNetworkStatus, treasuryStatus } from './status.js';
export type { SweepRow, TreasuryTxRow } from './store.js';
export { emptyPassResult, Sweeper, type SweepPassResult } from './sweeper.js';
