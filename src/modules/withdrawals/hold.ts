import type { Tenant } from '../../lib/tenant.js';
import type { PostingGroup, PostingItem } from '../ledger/index.js';
import { audit } from './audit.js';
import { withdrawalUpdated } from './events.js';
import type { WithdrawalRow, WithdrawalView } from './view.js';

// A new withdrawal's hold, as one item of a ledger batch: the full amount moves from the user to the
// merchant's payouts-in-flight account, and in the same transaction the withdrawal row, its audit line, the
// payout worker's wake-up (when it is approved at once) and its event.

export const IN_FLIGHT = { kind: 'system', code: 'payouts_in_flight' } as const;
/** NOTIFY channel: an approval wakes the payout worker at once (it also polls). */
export const PAYOUTS_CHANNEL = 'novapay_payouts';

export interface HoldTerms {
  /** The withdrawal as it is answered (id, user, network, wallet, status, amounts, createdAt). */
  view: WithdrawalView;
  /** The token's decimals, what the wallet gets and the network fee shown, in its smallest unit. */
  decimals: number;
  tokenMinor: bigint;
  networkFeeMinor: bigint;
}

export function withdrawalHold(t: Tenant, h: HoldTerms, group: PostingGroup): PostingItem {
  const { view } = h;
  return {
    ...t,
    postings: [
      {
        type: 'withdrawal',
        from: { kind: 'user', code: view.userId },
        to: IN_FLIGHT,
        amountMinor: view.amountMinor,
        description: `Withdrawal ${view.id}`,
        metadata: { withdrawalId: view.id },
        fromParam: 'userId',
      },
    ],
    after: async (c, txs) => {
      const inserted = await c.query<WithdrawalRow>(
        `insert into withdrawals (id, merchant_id, mode, user_id, network, wallet_address, amount_minor, fee_minor, token_decimals,
           amount_token_minor, network_fee_token_minor, status, hold_transaction_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning *`,
        [
          view.id,
          t.merchantId,
          t.mode,
          view.userId,
          view.network,
          view.walletAddress,
          view.amountMinor,
          view.feeMinor,
          h.decimals,
          h.tokenMinor.toString(),
          h.networkFeeMinor.toString(),
          view.status,
          txs[0]!.id,
          view.createdAt,
        ],
      );
      await audit(
        c,
        view.id,
        'created',
        `merchant:${t.merchantId}`,
        view.status === 'approved' ? 'auto-approved below the threshold' : null,
      );
      if (view.status === 'approved') await c.query('select pg_notify($1, $2)', [PAYOUTS_CHANNEL, view.id]);
      // The Stars are held now: the user's live balance and history show it.
      return [withdrawalUpdated(inserted.rows[0]!, txs[0])];
    },
    group,
  };
}
