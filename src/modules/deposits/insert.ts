import type { NetworkConfig } from '../../chains/registry.js';
import type { PoolClient } from '../../db/database.js';
import type { Tenant } from '../../lib/tenant.js';
import type { DepositRow, DepositView } from './view.js';

// A deposit request's row, written in the transaction that completes its idempotency record.

/** What a keyed create stored as its answer: the deposit, or its refusal. */
export type StoredCreate =
  | { ok: true; view: DepositView }
  | { ok: false; error: { code: string; message: string } };

export interface NewDeposit {
  id: string;
  userId: string;
  /** The network as the request named it (stored as asked, as before). */
  network: string;
  net: NetworkConfig;
  amountMinor: bigint;
  address: string;
  index: number;
  metadata: Record<string, unknown> | null;
  /** The merchant's settings: minutes until it expires, then days a late payment is still watched for. */
  expiryMinutes: number;
  watchDays: number;
}

/** The user's account (users are created on first use: a deposit is one) and the deposit's row. */
export async function insertDeposit(client: PoolClient, t: Tenant, d: NewDeposit): Promise<DepositRow> {
  await client.query(
    `insert into accounts (merchant_id, mode, kind, code) values ($1, $2, 'user', $3) on conflict do nothing`,
    [t.merchantId, t.mode, d.userId],
  );
  const r = await client.query<DepositRow>(
    `insert into deposits (id, merchant_id, mode, user_id, network, chain, currency, token_decimals,
       expected_amount_minor, address, address_index, required_confirmations, metadata, expires_at, watch_until)
     values ($1, $2, $3, $4, $5, $6, 'USDT', $7, $8, $9, $10, $11, $12,
       now() + make_interval(mins => $13), now() + make_interval(mins => $13) + make_interval(days => $14))
     returning *`,
    [
      d.id,
      t.merchantId,
      t.mode,
      d.userId,
      d.network,
      d.net.chain,
      d.net.token.decimals,
      d.amountMinor.toString(),
      d.address,
      d.index,
      d.net.confirmations,
      d.metadata ? JSON.stringify(d.metadata) : null,
      d.expiryMinutes,
      d.watchDays,
    ],
  );
  return r.rows[0]!;
}
