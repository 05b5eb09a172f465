import type { Pool } from 'pg';
import type { PayoutTxRow } from '../../src/modules/payouts/store.js';
import type { WithdrawalRow } from '../../src/modules/withdrawals/index.js';
import type { TestContext, TestMerchant } from './app.js';

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

type WithdrawalInput = { userId: string; credit: string; amount: number; wallet: string; network?: string };

/**
 * `userId` of merchant `m` credited `credit` Stars, then a withdrawal of `amount` to `wallet` (on `network`,
 * TRC20 by default): its id.
 */
export async function createdWithdrawal(
  t: TestContext,
  m: TestMerchant,
  o: WithdrawalInput,
): Promise<string> {
  await t.credit(m, o.userId, o.credit);
  const w = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: o.userId, amount: o.amount, walletAddress: o.wallet, network: o.network ?? 'TRC20' },
  });
  if (w.status !== 200) throw new Error(`withdrawal not created: ${w.status} ${w.text}`);
  return w.body.id;
}

/** createdWithdrawal, then approved by ops (GraphQL `approveWithdrawal`): its id. */
export async function approvedWithdrawal(
  t: TestContext,
  m: TestMerchant,
  o: WithdrawalInput,
): Promise<string> {
  const id = await createdWithdrawal(t, m, o);
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  const r = await t.graphql(
    { bearer: token },
    `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } } }`,
    { id },
  );
  if (r.body.data?.approveWithdrawal?.status !== 'APPROVED')
    throw new Error(`withdrawal not approved: ${JSON.stringify(r.body)}`);
  return id;
}
