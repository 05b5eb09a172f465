import type { LocalSigner } from '../../chains/payout/types.js';
import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import {
  allocateHotNonce,
  hotNonceSeed,
  isStale,
  type PreparedSigning,
  prepareSigning,
} from '../payouts/index.js';
import { type NewSweep, OPEN_SWEEP, type SweepRow, type TreasuryStore, type TreasuryTxRow } from './store.js';

// Store first, send second: each of these asks the node what the transaction needs (fees, estimates, TRON: the
// transaction built; the nonce seed when the database has no counter yet) before its database transaction, then
// in one transaction that first checks the sweeps are still where the step expects them takes a nonce from the
// database, signs with the key (no network), stores the signed transaction and links its sweeps. A crash before
// the commit leaves nothing signed; after it, a stored transaction the next pass sends. Nothing here broadcasts.

export interface SignRequest {
  /** Whose nonce: the hot wallet's (hot_wallets, shared with payouts), a deposit address's, or none (TRON). */
  nonces: 'hot' | 'address' | 'none';
  /** The nonce space: the hot wallet's key, or the address's (`evm:<chainId>:<address>`). */
  signerKey: string;
  /** The chain's pending count: read (before the transaction) only while the database has no counter yet. */
  seed: () => Promise<bigint | null>;
  /** Asks the node what the transaction needs; the signer it returns only signs. */
  prepare: () => Promise<LocalSigner>;
}

/** A SignRequest with the node asked: what the database transaction signs with. */
export interface ReadyRequest extends PreparedSigning {
  nonces: SignRequest['nonces'];
  signerKey: string;
}

/** Asks the node (outside any transaction): the signer, and the nonce seed when the counter is missing. */
export async function prepareRequest(pool: Pool, req: SignRequest): Promise<ReadyRequest> {
  const seed = async (): Promise<bigint | null> => {
    if (req.nonces === 'hot') return hotNonceSeed(pool, req.signerKey, req.seed);
    const r = await pool.query('select 1 from treasury_nonces where signer_key = $1', [req.signerKey]);
    return r.rowCount ? null : req.seed();
  };
  const prepared = await prepareSigning(req.prepare, req.nonces === 'none' ? undefined : seed);
  return { nonces: req.nonces, signerKey: req.signerKey, ...prepared };
}

/** A deposit address's next nonce from its counter, created from `seed` the first time (a stored one wins). */
async function allocateAddressNonce(c: PoolClient, key: string, seed: bigint | null) {
  if (seed !== null)
    await c.query(
      'insert into treasury_nonces (signer_key, next_nonce) values ($1, $2) on conflict (signer_key) do nothing',
      [key, seed],
    );
  const row = await c.query<{ next_nonce: bigint }>(
    'select next_nonce from treasury_nonces where signer_key = $1 for update',
    [key],
  );
  const nonce = row.rows[0]?.next_nonce;
  if (nonce === undefined) throw new Error(`${key} has no nonce counter and no seed was read`);
  await c.query('update treasury_nonces set next_nonce = $2, updated_at = now() where signer_key = $1', [
    key,
    nonce + 1n,
  ]);
  return nonce;
}

/** Null when what was prepared went stale while the rows were being locked: nothing stored. */
export async function signAndStore(
  c: PoolClient,
  chain: string,
  kind: TreasuryTxRow['kind'],
  req: ReadyRequest,
  value: bigint,
): Promise<TreasuryTxRow | null> {
  if (isStale(req)) return null;
  let nonce: bigint | null = null;
  if (req.nonces === 'hot') nonce = await allocateHotNonce(c, req.signerKey, req.seed);
  else if (req.nonces === 'address') nonce = await allocateAddressNonce(c, req.signerKey, req.seed);
  const s = await req.sign(nonce);
  const r = await c.query<TreasuryTxRow>(
    `insert into treasury_transactions (chain, kind, signer_key, nonce, tx_hash, raw_tx, value, fee_params, expires_at,
       status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'signed') returning *`,
    [
      chain,
      kind,
      req.signerKey,
      s.nonce,
      s.txHash,
      s.raw,
      value.toString(),
      JSON.stringify(s.feeParams),
      s.expiresAt,
    ],
  );
  return r.rows[0]!;
}

/**
 * One top-up transaction for these funding sweeps, each pointed at it. Null when any of them is no longer
 * waiting for a top-up (nothing is stored, nothing is sent).
 */
export async function recordTopUp(store: TreasuryStore, sweeps: SweepRow[], req: SignRequest) {
  const ready = await prepareRequest(store.pool, req);
  return inTransaction(store.pool, async (c) => {
    const ids = sweeps.map((s) => s.id);
    const locked = await c.query(
      `select id from sweeps where id = any($1::text[]) and status = 'funding' and topup_tx_id is null for update`,
      [ids],
    );
    if (locked.rowCount !== ids.length) return null;
    const value = sweeps.reduce((sum, s) => sum + BigInt(s.topup), 0n);
    const tx = await signAndStore(c, sweeps[0]!.chain, 'topup', ready, value);
    if (!tx) return null;
    await c.query('update sweeps set topup_tx_id = $2, updated_at = now() where id = any($1::text[])', [
      ids,
      tx.id,
    ]);
    return tx;
  });
}

/** ready → signed: the sweep's transaction from its deposit address. Null when it is no longer ready. */
export async function recordSweep(store: TreasuryStore, s: SweepRow, req: SignRequest) {
  const ready = await prepareRequest(store.pool, req);
  return inTransaction(store.pool, async (c) => {
    const locked = await c.query(`select id from sweeps where id = $1 and status = 'ready' for update`, [
      s.id,
    ]);
    if (!locked.rowCount) return null;
    const tx = await signAndStore(c, s.chain, 'sweep', ready, 0n);
    if (!tx) return null;
    await c.query(`update sweeps set status = 'signed', tx_id = $2, updated_at = now() where id = $1`, [
      s.id,
      tx.id,
    ]);
    return tx;
  });
}

/** A move of the hot wallet's excess to cold: its sweep row and transaction. Null when one is open already. */
export async function recordCold(store: TreasuryStore, s: NewSweep, req: SignRequest) {
  const ready = await prepareRequest(store.pool, req);
  return inTransaction(store.pool, async (c) => {
    const open = await c.query(
      `select 1 from sweeps where chain = $1 and from_address = $2 and ${OPEN_SWEEP} for update`,
      [s.chain, s.from_address],
    );
    if (open.rowCount) return null;
    const tx = await signAndStore(c, s.chain, 'cold', ready, 0n);
    if (!tx) return null;
    await c.query(
      `insert into sweeps (id, chain, network, mode, kind, from_address, to_address, amount, fee_params, status, tx_id)
       values ($1, $2, $3, $4, 'cold', $5, $6, $7, $8, 'signed', $9)`,
      [
        newId('swp'),
        s.chain,
        s.network,
        s.mode,
        s.from_address,
        s.to_address,
        s.amount,
        JSON.stringify(tx.fee_params),
        tx.id,
      ],
    );
    return tx;
  });
}
