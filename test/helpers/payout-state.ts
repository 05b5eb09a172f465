import type { Pool } from 'pg';
import type { PayoutTxRow } from '../../src/modules/payouts/store.js';
import type { WithdrawalRow } from '../../src/modules/withdrawals/index.js';

/**
 * Puts an approved withdrawal where the payout worker leaves it once its transaction is broadcast: a hot
 * wallet, a `broadcast` payout transaction, the withdrawal `processing`. Returns both rows, as settle.ts's
 * completePayout / failPayout take them.
 */
export async function broadcastPayout(
  pool: Pool,
  withdrawalId: string,
  wallet: string,
): Promise<{ w: WithdrawalRow; tx: PayoutTxRow }> {
  await pool.query(
    `insert into hot_wallets (key, family, address) values ('race:tron', 'tron', $1) on conflict do nothing`,
    [wallet],
  );
  const tx = (
    await pool.query<PayoutTxRow>(
      `insert into payout_transactions (withdrawal_id, wallet_key, tx_hash, raw_tx, status)
       values ($1, 'race:tron', $2, 'raw', 'broadcast') returning *`,
      [withdrawalId, `race-${withdrawalId}`],
    )
  ).rows[0]!;
  const w = (
    await pool.query<WithdrawalRow>(
      `update withdrawals set status = 'processing', payout_state = 'broadcast', wallet_key = 'race:tron'
       where id = $1 returning *`,
      [withdrawalId],
    )
  ).rows[0]!;
  return { w, tx };
}
