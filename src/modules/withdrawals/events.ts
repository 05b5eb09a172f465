import { newId } from '../../lib/ids.js';
import { JsonNumber } from '../../lib/json.js';
import { minorToJsonNumber } from '../../lib/money.js';
import type { EventDraft } from '../events/index.js';
import { type WithdrawalRow, withdrawalData, withdrawalUpdateData } from './view.js';

// Outbox events of a withdrawal, written in the transaction of the change they describe: the webhook events
// payout.completed / payout.failed (JSON numbers, as the page shows), and the internal withdrawal.updated that
// feeds the withdrawalUpdated subscription on every step.

function draft(w: WithdrawalRow, type: EventDraft['type'], data: Record<string, unknown>): EventDraft {
  return { id: newId('evt'), type, merchantId: w.merchant_id, mode: w.mode, createdAt: new Date(), data };
}

function payoutData(w: WithdrawalRow) {
  const d = withdrawalData(w);
  return {
    id: w.id,
    userId: w.user_id,
    amount: minorToJsonNumber(d.amountMinor),
    fee: minorToJsonNumber(d.feeMinor),
    amountUsdt: new JsonNumber(d.amountUsdt),
    network: w.network,
    walletAddress: w.wallet_address,
  };
}

export function withdrawalUpdated(w: WithdrawalRow): EventDraft {
  return draft(w, 'withdrawal.updated', withdrawalUpdateData(w));
}

export function payoutFailed(w: WithdrawalRow, reason: string, message: string): EventDraft {
  return draft(w, 'payout.failed', { ...payoutData(w), txHash: w.tx_hash, reason, message });
}

export function payoutCompleted(w: WithdrawalRow): EventDraft {
  return draft(w, 'payout.completed', {
    ...payoutData(w),
    txHash: w.tx_hash,
    confirmations: w.confirmations,
    completedAt: (w.completed_at ?? new Date()).toISOString(),
  });
}
