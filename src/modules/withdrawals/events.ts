import { newId } from '../../lib/ids.js';
import { JsonNumber } from '../../lib/json.js';
import { minorToJsonNumber } from '../../lib/money.js';
import type { EventDraft } from '../events/index.js';
import type { PostedTransaction } from '../ledger/index.js';
import { type WithdrawalRow, withdrawalData, withdrawalUpdateData } from './view.js';

// Outbox events of a withdrawal, written in the transaction of the change they describe: the webhook events
// payout.completed / payout.failed (JSON numbers, as the page shows), and the internal withdrawal.updated that
// feeds the withdrawalUpdated subscription on every step. A step that moved the user's Stars (the hold at
// creation, a refund) carries that movement, the user's side of it, which feeds the user's live balance and
// history (balanceUpdated, transactionCreated: src/modules/events/live-messages.ts).

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

/** The user's side of a ledger transaction of theirs, as their history row shows it. */
function movementOf(tx: PostedTransaction, userId: string): Record<string, unknown> {
  const debit = tx.from.kind === 'user' && tx.from.code === userId;
  return {
    transactionId: tx.id,
    userId,
    type: tx.type,
    amount: minorToJsonNumber(debit ? -tx.amountMinor : tx.amountMinor),
    balance: minorToJsonNumber(debit ? tx.fromBalanceAfterMinor : tx.toBalanceAfterMinor),
    fromUserId: debit ? userId : null,
    toUserId: debit ? null : userId,
    description: tx.description,
    metadata: tx.metadata,
  };
}

/** withdrawal.updated; `moved`: the ledger transaction of this step that moved the user's Stars. */
export function withdrawalUpdated(w: WithdrawalRow, moved?: PostedTransaction): EventDraft {
  if (!moved) return draft(w, 'withdrawal.updated', withdrawalUpdateData(w));
  // Its time is the movement's, as the history row's (and a transfer's event's) is.
  const data = { ...withdrawalUpdateData(w), movement: movementOf(moved, w.user_id) };
  return { ...draft(w, 'withdrawal.updated', data), createdAt: moved.createdAt };
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
