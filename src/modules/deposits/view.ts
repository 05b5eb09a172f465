import { formatToken } from '../../lib/money.js';
import type { Mode } from '../../lib/tenant.js';

export interface DepositRow {
  id: string;
  merchant_id: string;
  mode: Mode;
  user_id: string;
  network: string;
  chain: string;
  currency: string;
  token_decimals: number;
  expected_amount_minor: string;
  address: string;
  address_index: string | bigint;
  status: 'pending' | 'confirming' | 'confirmed' | 'expired';
  amount_received_minor: string;
  amount_confirming_minor: string;
  confirming_tx_hash: string | null;
  credited_stars_minor: string | bigint;
  payments: number;
  confirmations: number;
  required_confirmations: number;
  tx_hash: string | null;
  flags: string[];
  failure_reason: string | null;
  metadata: Record<string, string | number | boolean> | null;
  expires_at: Date;
  watch_until: Date;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
}

/** A deposit as every face shows it; token amounts are exact decimal strings in the token's units. */
export interface DepositView {
  id: string;
  merchantId: string;
  mode: Mode;
  userId: string;
  network: string;
  currency: string;
  depositAddress: string;
  amount: string;
  amountReceived: string;
  amountConfirming: string;
  creditedStarsMinor: bigint;
  status: DepositRow['status'];
  confirmations: number;
  requiredConfirmations: number;
  txHash: string | null;
  confirmingTxHash: string | null;
  flags: string[];
  failureReason: string | null;
  metadata: DepositRow['metadata'];
  expiresAt: string;
  createdAt: string;
  confirmedAt: string | null;
  paymentUrl: string;
}

export function toView(r: DepositRow, paymentUrl: string): DepositView {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    userId: r.user_id,
    network: r.network,
    currency: r.currency,
    depositAddress: r.address,
    amount: formatToken(BigInt(r.expected_amount_minor), r.token_decimals),
    amountReceived: formatToken(BigInt(r.amount_received_minor), r.token_decimals),
    amountConfirming: formatToken(BigInt(r.amount_confirming_minor), r.token_decimals),
    creditedStarsMinor: BigInt(r.credited_stars_minor),
    status: r.status,
    confirmations: r.confirmations,
    requiredConfirmations: r.required_confirmations,
    txHash: r.tx_hash,
    confirmingTxHash: r.confirming_tx_hash,
    flags: r.flags,
    failureReason: r.failure_reason,
    metadata: r.metadata,
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    confirmedAt: r.confirmed_at?.toISOString() ?? null,
    paymentUrl,
  };
}

/** The live message for depositUpdated and the payment page (and the `deposit.updated` event's data). */
export function depositMessage(r: DepositRow) {
  return {
    id: r.id,
    status: r.status,
    network: r.network,
    depositAddress: r.address,
    amount: formatToken(BigInt(r.expected_amount_minor), r.token_decimals),
    amountReceived: formatToken(BigInt(r.amount_received_minor), r.token_decimals),
    amountConfirming: formatToken(BigInt(r.amount_confirming_minor), r.token_decimals),
    confirmations: r.confirmations,
    requiredConfirmations: r.required_confirmations,
    txHash: r.tx_hash,
    confirmingTxHash: r.confirming_tx_hash,
    flags: r.flags,
    failureReason: r.failure_reason,
    expiresAt: r.expires_at.toISOString(),
  };
}
