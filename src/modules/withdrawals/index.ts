// The withdrawals module's public surface: what the rest of the system may import from it.
export { payoutCompleted, payoutFailed, withdrawalUpdated } from './events.js';
export { guardWithdrawal } from './guard.js';
export { IN_FLIGHT, PAYOUTS_CHANNEL, WithdrawalsService } from './service.js';
export { type PayoutState, viewFromStored, type WithdrawalRow, type WithdrawalView } from './view.js';
