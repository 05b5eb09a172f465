import { formatToken } from '../../lib/money.js';
import type { Mode } from '../../lib/tenant.js';

export interface WithdrawalRow {
  id: string;
  merchant_id: string;
  mode: Mode;
  user_id: string;
  network: string;
  wallet_address: string;
  amount_minor: bigint;
  fee_minor: bigint;
  token_decimals: number;
  amount_token_minor: string;
  network_fee_token_minor: string;
  status: 'pending_approval' | 'approved' | 'processing' | 'completed' | 'failed' | 'rejected';
  failure_reason: string | null;
  hold_transaction_id: string;
  tx_hash: string | null;
  created_at: Date;
  updated_at: Date;
  payout_state: PayoutState | null;
  wallet_key: string | null;
  payout_nonce: bigint | null;
  confirmations: number;
  waiting_reason: string | null;
  completed_at: Date | null;
}

export type PayoutState = 'queued' | 'signed' | 'broadcast' | 'confirming' | 'completed' | 'failed';

/** A withdrawal as every face shows it: Stars in minor units, USDT amounts as exact decimal text. */
export interface WithdrawalView {
  id: string;
  /** Shown to admins, who see every merchant's withdrawals. */
  merchantId?: string;
  mode?: Mode;
  userId: string;
  network: string;
  walletAddress: string;
  status: WithdrawalRow['status'];
  amountMinor: bigint;
  feeMinor: bigint;
  amountUsdt: string;
  networkFee: string;
  txHash: string | null;
  failureReason: string | null;
  createdAt: string;
  /** The payout worker's step once approved (null before). */
  payoutState?: PayoutState | null;
  confirmations?: number;
  /** Why an approved payout is not being sent yet (e.g. the hot wallet is short). */
  waitingReason?: string | null;
  completedAt?: string | null;
}

export function withdrawalData(r: WithdrawalRow): WithdrawalView {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    userId: r.user_id,
    network: r.network,
    walletAddress: r.wallet_address,
    status: r.status,
    amountMinor: BigInt(r.amount_minor),
    feeMinor: BigInt(r.fee_minor),
    amountUsdt: formatToken(BigInt(r.amount_token_minor), r.token_decimals),
    networkFee: formatToken(BigInt(r.network_fee_token_minor), r.token_decimals),
    txHash: r.tx_hash,
    failureReason: r.failure_reason,
    createdAt: r.created_at.toISOString(),
    payoutState: r.payout_state ?? null,
    confirmations: r.confirmations ?? 0,
    waitingReason: r.waiting_reason ?? null,
    completedAt: r.completed_at ? r.completed_at.toISOString() : null,
  };
}

/** The `withdrawal.updated` message: the view with amounts as text (JSON-safe), for withdrawalUpdated. */
export function withdrawalUpdateData(r: WithdrawalRow): Record<string, unknown> {
  const v = withdrawalData(r);
  return { ...v, amountMinor: v.amountMinor.toString(), feeMinor: v.feeMinor.toString() };
}

/** Back from the JSON an idempotency record stores (bigints are strings there). */
export function viewFromStored(v: Record<string, unknown>): WithdrawalView {
  return {
    ...(v as unknown as WithdrawalView),
    amountMinor: BigInt(String(v.amountMinor)),
    feeMinor: BigInt(String(v.feeMinor)),
  };
}
