import type { PoolClient } from '../../db/database.js';
import type { HousePosting, LedgerService, Posting } from '../ledger/index.js';
import type { WithdrawalRow } from '../withdrawals/index.js';
import {
  guardWithdrawal,
  IN_FLIGHT,
  payoutCompleted,
  payoutFailed,
  withdrawalUpdated,
} from '../withdrawals/index.js';
import { ACTOR, type PayoutTxRow } from './store.js';

// The end of a payout, each in one ledger transaction with the withdrawal's final state and its events:
// completed → the hold in payouts_in_flight goes to fee revenue (the fee) and to the network's outflow account
// (the rest); failed on chain → the whole amount goes back to the user (a refund) with payout.failed. The house
// books record the tokens that left the hot wallet (completed) and the coin the transaction burned (either).

export const FEE_REVENUE = { kind: 'system', code: 'fee_revenue' } as const;
export const outflow = (network: string) => ({ kind: 'system', code: `outflow:${network}` }) as const;

async function audit(c: PoolClient, id: string, action: string, reason: string) {
  await c.query(
    'insert into withdrawal_audit (withdrawal_id, action, actor, reason) values ($1, $2, $3, $4)',
    [id, action, ACTOR, reason],
  );
}

async function finishTx(c: PoolClient, tx: PayoutTxRow, blockNumber: number, status: 'mined' | 'failed') {
  await c.query(
    `update payout_transactions set status = case when id = $2 then $3 else 'replaced' end,
       block_number = case when id = $2 then $4 else block_number end, updated_at = now()
     where withdrawal_id = $1 and status in ('signed', 'broadcast', 'mined')`,
    [tx.withdrawal_id, tx.id, status, blockNumber],
  );
}

/** The house postings of a payout's landed transaction: the tokens out (when it paid) and the network fee. */
function housePostings(w: WithdrawalRow, tx: PayoutTxRow, feePaid: bigint, paid: boolean): HousePosting[] {
  const base = { network: w.network, mode: w.mode, reference: tx.tx_hash, metadata: { withdrawalId: w.id } };
  const out: HousePosting[] = [];
  if (paid)
    out.push({
      ...base,
      key: `payout:${w.id}`,
      type: 'payout',
      asset: 'token',
      from: 'custody:hot',
      to: 'outflow',
      amount: BigInt(w.amount_token_minor),
    });
  out.push({
    ...base,
    key: `fee:${tx.tx_hash}`,
    type: 'fee',
    asset: 'native',
    from: 'custody:hot',
    to: 'network_fees',
    amount: feePaid,
  });
  return out;
}

/** Confirmed on chain: book the fee and the outflow, mark completed, payout.completed. False if already settled. */
export async function completePayout(
  ledger: LedgerService,
  w: WithdrawalRow,
  tx: PayoutTxRow,
  blockNumber: number,
  confirmations: number,
  feePaid: bigint,
): Promise<boolean> {
  const fee = BigInt(w.fee_minor);
  const rest = BigInt(w.amount_minor) - fee;
  const postings: Posting[] = [];
  const metadata = { withdrawalId: w.id, txHash: tx.tx_hash };
  if (fee > 0n)
    postings.push({
      type: 'fee',
      from: IN_FLIGHT,
      to: FEE_REVENUE,
      amountMinor: fee,
      description: `Fee of ${w.id}`,
      metadata,
    });
  if (rest > 0n)
    postings.push({
      type: 'withdrawal',
      from: IN_FLIGHT,
      to: outflow(w.network),
      amountMinor: rest,
      description: `Payout ${w.id} on ${w.network}`,
      metadata,
    });
  const outcome = await ledger.post({
    merchantId: w.merchant_id,
    mode: w.mode,
    postings,
    guard: (c, claims) => guardWithdrawal(c, claims, w.id, 'processing'),
    after: async (c) => {
      await finishTx(c, tx, blockNumber, 'mined');
      await ledger.house.post(c, housePostings(w, tx, feePaid, true));
      const r = await c.query<WithdrawalRow>(
        `update withdrawals set status = 'completed', payout_state = 'completed', tx_hash = $2, confirmations = $3,
           waiting_reason = null, completed_at = now(), updated_at = now() where id = $1 returning *`,
        [w.id, tx.tx_hash, confirmations],
      );
      await audit(
        c,
        w.id,
        'completed',
        `${tx.tx_hash} in block ${blockNumber}, ${confirmations} confirmations`,
      );
      return [payoutCompleted(r.rows[0]!), withdrawalUpdated(r.rows[0]!)];
    },
  });
  return outcome.ok;
}

/** Failed on chain (reverted, out of energy…): refund the whole amount, mark failed, payout.failed. */
export async function failPayout(
  ledger: LedgerService,
  w: WithdrawalRow,
  tx: PayoutTxRow,
  blockNumber: number,
  reason: string,
  message: string,
  feePaid: bigint,
): Promise<boolean> {
  const outcome = await ledger.post({
    merchantId: w.merchant_id,
    mode: w.mode,
    postings: [
      {
        type: 'refund',
        from: IN_FLIGHT,
        to: { kind: 'user', code: w.user_id },
        amountMinor: BigInt(w.amount_minor),
        description: `Refund of ${w.id}: ${reason}`,
        metadata: { withdrawalId: w.id, txHash: tx.tx_hash },
      },
    ],
    guard: (c, claims) => guardWithdrawal(c, claims, w.id, 'processing'),
    after: async (c, txs) => {
      await finishTx(c, tx, blockNumber, 'failed');
      await ledger.house.post(c, housePostings(w, tx, feePaid, false));
      const r = await c.query<WithdrawalRow>(
        `update withdrawals set status = 'failed', payout_state = 'failed', failure_reason = $2, tx_hash = $3,
           updated_at = now() where id = $1 returning *`,
        [w.id, reason, tx.tx_hash],
      );
      await audit(c, w.id, 'failed', `${reason}: ${message}`);
      return [payoutFailed(r.rows[0]!, reason, message), withdrawalUpdated(r.rows[0]!, txs[0])];
    },
  });
  return outcome.ok;
}
