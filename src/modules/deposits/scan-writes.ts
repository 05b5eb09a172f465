import type { BlockRef, ObservedTransfer, UnexpectedFunds } from '../../chains/types.js';
import type { PoolClient } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import type { EventDraft } from '../events/index.js';
import { insertEvents } from '../events/index.js';
import { refreshDeposits } from './confirming.js';
import { type DepositRow, depositMessage } from './view.js';

// The writes of one scanned range, in ChainStore.record's transaction: the blocks' hashes (the reorg check
// against the block below), the transfers seen to deposit addresses (and the deposits they move to confirming),
// and the unexpected funds.

/** Block hashes kept behind the cursor: a reorg deeper than this cannot be rolled back automatically. */
export const REORG_WINDOW = 500;

export class ReorgDetected extends Error {
  constructor(readonly atBlock: number) {
    super(`chain reorganised below block ${atBlock}`);
  }
}

export function depositUpdated(row: DepositRow): EventDraft {
  return {
    id: newId('evt'),
    type: 'deposit.updated',
    merchantId: row.merchant_id,
    mode: row.mode,
    data: depositMessage(row),
    createdAt: new Date(),
  };
}

/** The range's block hashes, after checking the first's parent against the stored block below it. */
export async function recordBlocks(
  c: PoolClient,
  chain: string,
  blocks: BlockRef[],
  nextBlock: number,
): Promise<void> {
  const first = blocks[0]!;
  const prev = await c.query<{ hash: string }>(
    'select hash from chain_blocks where chain = $1 and number = $2',
    [chain, first.number - 1],
  );
  if (prev.rows[0] && prev.rows[0].hash !== first.parentHash) throw new ReorgDetected(first.number);
  await c.query(
    `insert into chain_blocks (chain, number, hash, parent_hash)
     select $1, * from unnest($2::bigint[], $3::text[], $4::text[])
     on conflict (chain, number) do update set hash = excluded.hash, parent_hash = excluded.parent_hash`,
    [chain, blocks.map((b) => b.number), blocks.map((b) => b.hash), blocks.map((b) => b.parentHash)],
  );
  await c.query('delete from chain_blocks where chain = $1 and number < $2', [
    chain,
    nextBlock - REORG_WINDOW,
  ]);
}

/** Transfers seen to deposit addresses; their deposits go to confirming (`deposit.updated`). */
export async function recordTransfers(c: PoolClient, chain: string, t: ObservedTransfer[]): Promise<void> {
  const seen = await c.query<{ deposit_id: string }>(
    `insert into chain_transfers (chain, tx_hash, log_index, block_number, block_hash, block_time, token_contract,
       from_address, to_address, amount_minor, deposit_id)
     select $1, x.tx_hash, x.log_index, x.block_number, x.block_hash, to_timestamp(x.block_ms / 1000.0), x.contract,
            x.from_address, x.to_address, x.amount, d.id
     from unnest($2::text[], $3::int[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::numeric[])
       as x(tx_hash, log_index, block_number, block_hash, block_ms, contract, from_address, to_address, amount)
     join deposits d on d.chain = $1 and d.address = x.to_address
     on conflict (chain, tx_hash, log_index) do update
       set block_number = excluded.block_number, block_hash = excluded.block_hash, block_time = excluded.block_time,
           status = 'seen'
       where chain_transfers.status = 'orphaned'
     returning deposit_id`,
    [
      chain,
      t.map((x) => x.txHash),
      t.map((x) => x.logIndex),
      t.map((x) => x.blockNumber),
      t.map((x) => x.blockHash),
      t.map((x) => x.blockTimeMs),
      t.map((x) => x.tokenContract),
      t.map((x) => x.from),
      t.map((x) => x.to),
      t.map((x) => x.amountMinor.toString()),
    ],
  );
  // Seen: pending or expired → confirming, and the amount and transaction confirming brought forward.
  const changed = await refreshDeposits(c, [...new Set(seen.rows.map((r) => r.deposit_id))]);
  await insertEvents(c, changed.map(depositUpdated));
}

/** Funds that came to a deposit address other than as a deposit's payment (the treasury's own excepted). */
export async function recordUnexpected(c: PoolClient, chain: string, u: UnexpectedFunds[]): Promise<void> {
  // The treasury's own transactions to a deposit address (a TRX or gas top-up, a 1-sun activation) are not
  // a customer's funds: each is stored before it is sent (treasury_transactions, read here only), so its
  // hash is known by the time its block is scanned.
  await c.query(
    `insert into unexpected_funds (chain, tx_hash, log_index, block_number, address, asset, amount_minor, deposit_id)
     select $1, x.tx_hash, x.log_index, x.block_number, x.address, x.asset, x.amount,
            (select id from deposits d where d.chain = $1 and d.address = x.address)
     from unnest($2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::numeric[])
       as x(tx_hash, log_index, block_number, address, asset, amount)
     where not exists (select 1 from treasury_transactions t where t.tx_hash = x.tx_hash)
     on conflict do nothing`,
    [
      chain,
      u.map((x) => x.txHash),
      u.map((x) => x.logIndex),
      u.map((x) => x.blockNumber),
      u.map((x) => x.address),
      u.map((x) => x.asset),
      u.map((x) => x.amountMinor.toString()),
    ],
  );
}
