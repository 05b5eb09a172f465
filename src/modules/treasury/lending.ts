import type { LocalSigner } from '../../chains/payout/types.js';
import { inTransaction } from '../../db/database.js';
import { prepareRequest, signAndStore } from './signing.js';
import type { SweepRow, TreasuryStore, TreasuryTxRow } from './store.js';
import { delegatingSweeps, energyReady, reclaimableSweeps } from './store-tron.js';
import type { SweeperDeps, SweepPassResult } from './sweeper.js';

// TRON delegate mode (SWEEP_POLICY `"tronFees": "delegate"`): a sweep whose address exists waits in `delegating`
// while the staking account lends it exactly the energy its transfer needs, then is signed like any other. Once
// the sweep is settled (completed or failed), the stake is taken back. Both are treasury transactions, stored
// before they are sent and followed to the end; the sweep row links them, so nothing is lent twice for one sweep
// (the link is set in the transaction that stores the delegation; only a delegation that expired unmined is
// signed again) and no loan is forgotten (every pass reclaims any confirmed delegation of a settled sweep, even
// while sweeping is paused: taking our own stake back moves no customer's coin).

type Send = (tx: TreasuryTxRow) => Promise<boolean>;
type Prepare = () => Promise<LocalSigner>;

/**
 * Stores the staking account's transaction and links it from the sweep, if the sweep is still `where`. The node
 * builds it before the database transaction, which only signs it.
 */
async function recordLending(
  store: TreasuryStore,
  s: SweepRow,
  kind: 'delegate' | 'undelegate',
  where: string,
  req: { signerKey: string; sun: bigint; prepare: Prepare },
) {
  const column = kind === 'delegate' ? 'delegate_tx_id' : 'undelegate_tx_id';
  const ready = await prepareRequest(store.pool, {
    nonces: 'none',
    signerKey: req.signerKey,
    seed: async () => null,
    prepare: req.prepare,
  });
  return inTransaction(store.pool, async (c) => {
    const locked = await c.query(
      `select id from sweeps where id = $1 and ${column} is null and ${where} for update`,
      [s.id],
    );
    if (!locked.rowCount) return null;
    const tx = await signAndStore(c, s.chain, kind, ready, req.sun);
    if (!tx) return null;
    await c.query(`update sweeps set ${column} = $2, updated_at = now() where id = $1`, [s.id, tx.id]);
    return tx;
  });
}

/**
 * Lends each sweep waiting for energy the stake its transfer needs (none when the address has that energy
 * already), while the staking account can delegate it; stops with an error in the log when it cannot.
 */
export async function delegate(d: SweeperDeps, result: SweepPassResult, send: Send): Promise<void> {
  const { chain, store, net, log } = d;
  const lender = chain.lender;
  if (!lender) return;
  const waiting = await delegatingSweeps(store.pool, net.chain, d.maxPerPass);
  if (!waiting.length) return;
  let available = await lender.available();
  for (const s of waiting) {
    const sun = await lender.stakeFor(s.from_address, BigInt(s.fee_params.energy ?? '0'));
    if (sun === 0n) {
      await energyReady(store.pool, s);
      continue;
    }
    if (available < sun) {
      log.error(
        { chain: net.chain, staking: lender.address, needs: sun.toString(), can: available.toString() },
        `sweeps waiting for energy: staking account ${lender.address} can delegate too little (stake more TRX for ENERGY)`,
      );
      return;
    }
    const tx = await recordLending(store, s, 'delegate', `status = 'delegating'`, {
      signerKey: lender.signerKey,
      sun,
      prepare: () => lender.prepareDelegate(s.from_address, sun),
    });
    if (!tx) continue;
    available -= sun;
    result.delegated++;
    await send(tx);
  }
}

/** Takes back the stake lent to every settled sweep whose delegation landed. */
export async function reclaim(d: SweeperDeps, result: SweepPassResult, send: Send): Promise<void> {
  const { chain, store, net, log } = d;
  const due = await reclaimableSweeps(store.pool, net.chain, d.maxPerPass);
  if (!due.length) return;
  const lender = chain.lender;
  if (!lender) {
    log.error(
      { chain: net.chain, sweeps: due.length },
      'delegated energy to reclaim, but tronFees is no longer delegate',
    );
    return;
  }
  for (const s of due) {
    const sun = BigInt(s.delegated);
    const tx = await recordLending(store, s, 'undelegate', `status in ('completed', 'failed')`, {
      signerKey: lender.signerKey,
      sun,
      prepare: () => lender.prepareUndelegate(s.from_address, sun),
    });
    if (!tx) continue;
    result.reclaimed++;
    await send(tx);
  }
}
