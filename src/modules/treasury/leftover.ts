import type { Leftover } from '../../chains/sweep/types.js';
import { inTransaction } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { prepareRequest, signAndStore } from './signing.js';
import { OPEN_SWEEP, type TreasuryStore, type TreasuryTxRow } from './store.js';
import { type LeftoverCandidate, leftoverCandidates, leftoverChecked } from './store-tron.js';
import type { SweeperDeps, SweepPassResult } from './sweeper.js';

// Leftover TRX: once a deposit address's tokens are swept (its sweep settled, nothing credited left to sweep), the
// pass looks at its TRX once. When the chain family says sending it back pays (TRON: the balance less what the
// transfer burns is at least SWEEP_POLICY leftoverMin), the address sends it to the hot wallet: a sweep of kind
// `leftover`, stored with its transaction before it is sent (`custody:deposits → custody:hot`, native, when it
// lands). Otherwise the address is marked looked at and its TRX stays (booked where it is). A sweep-back that
// fails or expires is looked at again.

type Send = (tx: TreasuryTxRow) => Promise<boolean>;

async function recordLeftover(d: SweeperDeps, c: LeftoverCandidate, l: Leftover) {
  const { net, chain, store } = d;
  // The node builds the transfer before the transaction, which only signs it.
  const ready = await prepareRequest(store.pool, {
    nonces: 'none',
    signerKey: chain.signerKey(c.from_address),
    seed: async () => null,
    prepare: () => chain.prepareLeftover!(c.address_index, c.from_address, l.amount, l.feeParams),
  });
  return inTransaction(store.pool, async (db) => {
    const open = await db.query(
      `select 1 from sweeps where chain = $1 and from_address = $2 and ${OPEN_SWEEP} for update`,
      [net.chain, c.from_address],
    );
    if (open.rowCount) return null;
    const tx = await signAndStore(db, net.chain, 'leftover', ready, l.amount);
    if (!tx) return null;
    await db.query(
      `insert into sweeps (id, chain, network, mode, kind, from_address, address_index, deposit_id, to_address, amount,
         fee_params, status, tx_id, leftover_checked)
       values ($1, $2, $3, $4, 'leftover', $5, $6, $7, $8, $9, $10, 'signed', $11, true)`,
      [
        newId('swp'),
        net.chain,
        net.network,
        net.mode,
        c.from_address,
        c.address_index,
        c.deposit_id,
        chain.hotAddress,
        l.amount.toString(),
        JSON.stringify(l.feeParams),
        tx.id,
      ],
    );
    await leftoverChecked(db, net.chain, c.from_address);
    return tx;
  });
}

export async function sweepBackLeftovers(d: SweeperDeps, result: SweepPassResult, send: Send): Promise<void> {
  const { chain, policy, net } = d;
  const store: TreasuryStore = d.store;
  if (!chain.leftover || !chain.prepareLeftover || !policy.tron) return;
  for (const c of await leftoverCandidates(store.pool, net.chain, d.maxPerPass)) {
    const l = await chain.leftover(c.from_address, policy.tron.leftoverMin);
    if (!l) {
      await leftoverChecked(store.pool, net.chain, c.from_address);
      continue;
    }
    const tx = await recordLeftover(d, c, l);
    if (!tx) continue;
    result.leftovers++;
    await send(tx);
  }
}
