import type { LocalSigner } from '../../chains/payout/types.js';
import type { Pool, PoolClient } from '../../db/database.js';

// Signing in two steps. First, outside any database transaction, the node is asked everything the transaction
// needs (fees, gas or energy estimates; TRON: the node builds it, with its reference block and expiration; the
// nonce seed when the database has no counter yet). Then one short transaction locks the rows, allocates the
// nonce, signs with the key (no network) and records. A slow or failing node so never holds a row lock, a nonce
// counter or the events list's horizon (docs/graphql.md) open for the length of a round trip.

/**
 * What a signing step asked the node before its database transaction, so that the transaction only locks,
 * allocates the nonce, signs with the key and records.
 */
export interface PreparedSigning {
  sign: LocalSigner;
  /** The chain's pending count, read only when the database had no nonce counter for the signer (else null). */
  seed: bigint | null;
  /** When the node was asked (Date.now()). */
  at: number;
}

/**
 * Prepared data older than this once the rows are locked (a long lock wait) is not used: nothing is stored and
 * the next pass asks the node again. A TRON transaction expires 60 s after the node built it.
 */
export const PREPARED_TTL_MS = 20_000;

export const isStale = (p: PreparedSigning): boolean => Date.now() - p.at > PREPARED_TTL_MS;

/**
 * Asks the node, outside any transaction: the signer, then the nonce seed when `seed` is given (the callers
 * give it only while the database may have no counter). Timed from before the first call, for isStale.
 */
export async function prepareSigning(
  prepare: () => Promise<LocalSigner>,
  seed?: () => Promise<bigint | null>,
): Promise<PreparedSigning> {
  const at = Date.now();
  const sign = await prepare();
  return { sign, seed: seed ? await seed() : null, at };
}

/**
 * Read before the transaction: the node's pending count of the hot wallet, only while the database has no
 * counter for it (null when it has one: the stored counter wins).
 */
export async function hotNonceSeed(
  pool: Pool,
  walletKey: string,
  read: () => Promise<bigint | null>,
): Promise<bigint | null> {
  const r = await pool.query<{ next_nonce: bigint | null }>(
    'select next_nonce from hot_wallets where key = $1',
    [walletKey],
  );
  return r.rows[0]?.next_nonce != null ? null : read();
}

/**
 * The hot wallet's next nonce, taken in the caller's transaction (the row stays locked until it commits, so two
 * takers never get the same one): the stored counter, or once, when there is none, `seed` (the node's pending
 * count, read before the transaction by hotNonceSeed). Payouts and the treasury's top-ups and cold moves share
 * it, so every transaction the hot wallet signs has its own nonce.
 */
export async function allocateHotNonce(
  c: PoolClient,
  walletKey: string,
  seed: bigint | null,
): Promise<bigint> {
  const n = await c.query<{ next_nonce: bigint | null }>(
    'select next_nonce from hot_wallets where key = $1 for update',
    [walletKey],
  );
  if (!n.rows[0]) throw new Error(`hot wallet ${walletKey} is not registered`);
  const nonce = n.rows[0].next_nonce ?? seed;
  if (nonce === null) throw new Error(`hot wallet ${walletKey} has no nonce counter and no seed was read`);
  await c.query('update hot_wallets set next_nonce = $2, updated_at = now() where key = $1', [
    walletKey,
    nonce + 1n,
  ]);
  return nonce;
}
