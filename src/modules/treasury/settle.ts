import type { PoolClient } from '../../db/database.js';
import type { HouseCode, HousePosting, LedgerService } from '../ledger/index.js';
import type { SweepRow, TreasuryTxRow } from './store.js';
import { AFTER_TOPUP, LEFTOVER_AGAIN } from './store-tron.js';

// A treasury transaction deep enough to be final, settled in one database transaction: its state, its sweeps'
// states and the house postings of what moved (the tokens swept or sent to cold, the coin topped up) and of what
// it burned. The postings are keyed by sweep and transaction, and the transaction row is locked and must still
// be open, so a second pass or a replay settles nothing twice.

export interface Landed {
  success: boolean;
  blockNumber: number;
  feePaid: bigint;
}

interface Move {
  from: HouseCode;
  to: HouseCode;
  type: 'sweep' | 'cold' | 'topup';
  asset: 'token' | 'native';
  /** The sweep's column that holds the amount moved. */
  amount: 'amount' | 'topup';
}

// Delegating and reclaiming energy move no coin: only their bandwidth fee, if any, is booked.
const MOVES: Record<TreasuryTxRow['kind'], Move | null> = {
  sweep: { from: 'custody:deposits', to: 'custody:hot', type: 'sweep', asset: 'token', amount: 'amount' },
  cold: { from: 'custody:hot', to: 'custody:cold', type: 'cold', asset: 'token', amount: 'amount' },
  topup: { from: 'custody:hot', to: 'custody:deposits', type: 'topup', asset: 'native', amount: 'topup' },
  leftover: { from: 'custody:deposits', to: 'custody:hot', type: 'sweep', asset: 'native', amount: 'amount' },
  delegate: null,
  undelegate: null,
};

/** Who paid a transaction's fee: the deposit address that sent it, the staking account, or the hot wallet. */
function feePayer(tx: TreasuryTxRow): HouseCode {
  if (tx.kind === 'sweep' || tx.kind === 'leftover') return 'custody:deposits';
  if (tx.kind === 'delegate' || tx.kind === 'undelegate')
    return tx.fee_params.feeFrom === 'custody:staking' ? 'custody:staking' : 'custody:hot';
  return 'custody:hot';
}

function postings(tx: TreasuryTxRow, sweeps: SweepRow[], at: Landed): HousePosting[] {
  const first = sweeps[0];
  if (!first) return [];
  const move = MOVES[tx.kind];
  const out: HousePosting[] = [];
  if (at.success && move) {
    for (const s of sweeps) {
      out.push({
        key: `${tx.kind === 'leftover' ? 'leftover' : move.type}:${s.id}`,
        type: move.type,
        network: s.network,
        mode: s.mode,
        asset: move.asset,
        from: move.from,
        to: move.to,
        amount: BigInt(s[move.amount]),
        reference: tx.tx_hash,
        metadata: { sweepId: s.id, address: s.from_address },
      });
    }
  }
  // The fee is burned whether the transaction did what it was for or reverted: the sender's coin paid it.
  out.push({
    key: `fee:${tx.tx_hash}`,
    type: 'fee',
    network: first.network,
    mode: first.mode,
    asset: 'native',
    from: feePayer(tx),
    to: 'network_fees',
    amount: at.feePaid,
    reference: tx.tx_hash,
    metadata: { kind: tx.kind },
  });
  return out;
}

/**
 * A delegation or its reclaim, final: a delegation that failed fails its sweep (nothing was lent); a reclaim that
 * failed is signed again by the next pass.
 */
async function settleLending(c: PoolClient, tx: TreasuryTxRow, at: Landed): Promise<SweepRow[]> {
  const column = tx.kind === 'delegate' ? 'delegate_tx_id' : 'undelegate_tx_id';
  const r = await c.query<SweepRow>(`select * from sweeps where ${column} = $1 order by id for update`, [
    tx.id,
  ]);
  if (tx.kind === 'delegate')
    await c.query(
      `update sweeps set status = $2, failure_reason = $3, updated_at = now() where delegate_tx_id = $1 and status = 'delegating'`,
      [
        tx.id,
        at.success ? 'ready' : 'failed',
        at.success ? null : `delegation ${tx.tx_hash} failed on chain`,
      ],
    );
  else if (!at.success)
    await c.query(
      'update sweeps set undelegate_tx_id = null, updated_at = now() where undelegate_tx_id = $1',
      [tx.id],
    );
  return r.rows;
}

async function settleSweeps(c: PoolClient, tx: TreasuryTxRow, at: Landed): Promise<SweepRow[]> {
  if (tx.kind === 'topup') {
    const r = await c.query<SweepRow>('select * from sweeps where topup_tx_id = $1 order by id for update', [
      tx.id,
    ]);
    if (!at.success)
      await c.query(
        `update sweeps set status = 'failed', failure_reason = $2, updated_at = now()
         where topup_tx_id = $1 and status = 'funding'`,
        [tx.id, `top-up ${tx.tx_hash} failed on chain`],
      );
    else await c.query(AFTER_TOPUP, [tx.id]);
    return r.rows;
  }
  if (tx.kind === 'delegate' || tx.kind === 'undelegate') return settleLending(c, tx, at);
  const r = await c.query<SweepRow>(
    `update sweeps set status = $2, failure_reason = $3, completed_at = case when $2 = 'completed' then now() end,
       updated_at = now() where tx_id = $1 returning *`,
    [tx.id, at.success ? 'completed' : 'failed', at.success ? null : `${tx.tx_hash} failed on chain`],
  );
  if (tx.kind === 'leftover' && !at.success) await c.query(LEFTOVER_AGAIN, [tx.id]);
  return r.rows;
}

/** Settles a landed transaction; false when it was settled already. */
export async function settleTransaction(
  ledger: LedgerService,
  tx: TreasuryTxRow,
  at: Landed,
): Promise<boolean> {
  return ledger.withTransaction(async (c) => {
    const open = await c.query(
      `select id from treasury_transactions where id = $1 and status in ('signed', 'broadcast', 'mined') for update`,
      [tx.id],
    );
    if (!open.rowCount) return false;
    await c.query(
      `update treasury_transactions set status = $2, block_number = $3, fee_paid = $4, updated_at = now() where id = $1`,
      [tx.id, at.success ? 'confirmed' : 'failed', at.blockNumber, at.feePaid.toString()],
    );
    const sweeps = await settleSweeps(c, tx, at);
    await ledger.house.post(c, postings(tx, sweeps, at));
    return true;
  });
}
