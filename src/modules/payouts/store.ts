import type { HotWallet, SignedPayout, WalletBalances } from '../../chains/payout/types.js';
import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { insertEvents } from '../events/index.js';
import type { WithdrawalRow } from '../withdrawals/index.js';
import { withdrawalUpdated } from '../withdrawals/index.js';
import { allocateHotNonce, hotNonceSeed, isStale, type PreparedSigning } from './prepared.js';

// The payout worker's database side. Every step is one short transaction that checks the withdrawal is still
// where the step expects it (so a second worker, or a replay after a crash, changes nothing) and writes its
// withdrawal.updated event with it. A signed transaction is stored before it is ever sent. Nothing here asks the
// chain's node: what signing needs from it is read before (PreparedSigning), so no transaction waits on it.

export interface PayoutTxRow {
  id: bigint;
  withdrawal_id: string;
  wallet_key: string;
  tx_hash: string;
  nonce: bigint | null;
  raw_tx: string;
  expires_at: Date | null;
  fee_params: Record<string, string>;
  status: 'signed' | 'broadcast' | 'mined' | 'failed' | 'replaced' | 'expired';
  block_number: bigint | null;
  created_at: Date;
  broadcast_at: Date | null;
}

export const ACTOR = 'system:payouts';

async function audit(c: PoolClient, id: string, action: string, reason: string | null) {
  await c.query(
    'insert into withdrawal_audit (withdrawal_id, action, actor, reason) values ($1, $2, $3, $4)',
    [id, action, ACTOR, reason],
  );
}

export class PayoutStore {
  constructor(private readonly pool: Pool) {}

  async registerWallet(w: HotWallet): Promise<void> {
    await this.pool.query(
      `insert into hot_wallets (key, family, address, networks) values ($1, $2, $3, $4)
       on conflict (key) do update set networks = excluded.networks, updated_at = now()`,
      [w.key, w.family, w.address, w.networks.map((n) => n.chain)],
    );
  }

  async recordBalances(key: string, b: WalletBalances, alert: string | null): Promise<void> {
    const balances = {
      native: b.native.toString(),
      token: Object.fromEntries(Object.entries(b.token).map(([k, v]) => [k, v.toString()])),
    };
    await this.pool.query(
      'update hot_wallets set balances = $2, alert = $3, checked_at = now(), updated_at = now() where key = $1',
      [key, JSON.stringify(balances), alert],
    );
  }

  async setAlert(key: string, alert: string | null): Promise<void> {
    await this.pool.query('update hot_wallets set alert = $2, updated_at = now() where key = $1', [
      key,
      alert,
    ]);
  }

  /** Approved withdrawals of these networks that have no transaction that can still land, oldest first. */
  async approved(chains: string[], limit: number): Promise<WithdrawalRow[]> {
    const r = await this.pool.query<WithdrawalRow>(
      `select * from withdrawals
       where status = 'approved' and (network || ':' || mode) = any($1::text[])
       order by created_at, id limit $2`,
      [chains, limit],
    );
    return r.rows;
  }

  /**
   * What this wallet has signed or sent that is not in a block yet: token units per network, and the most of
   * the chain's coin those transactions may burn. The balance on chain does not show them yet.
   */
  async inFlight(key: string): Promise<{ units: Record<string, bigint>; native: bigint }> {
    const [units, native] = await Promise.all([
      this.pool.query<{ network: string; units: string }>(
        `select network, sum(amount_token_minor)::text as units from withdrawals
         where wallet_key = $1 and payout_state in ('signed', 'broadcast') group by network`,
        [key],
      ),
      this.pool.query<{ native: string }>(
        `select coalesce(sum((fee_params->>'maxCost')::numeric), 0)::text as native from payout_transactions
         where wallet_key = $1 and status in ('signed', 'broadcast')`,
        [key],
      ),
    ]);
    return {
      units: Object.fromEntries(units.rows.map((r) => [r.network, BigInt(r.units)])),
      native: BigInt(native.rows[0]!.native.split('.')[0]!),
    };
  }

  async setWaiting(w: WithdrawalRow, reason: string | null): Promise<void> {
    if ((w.waiting_reason ?? null) === reason) return;
    await inTransaction(this.pool, async (c) => {
      const r = await c.query<WithdrawalRow>(
        `update withdrawals set waiting_reason = $2, updated_at = now() where id = $1 and status = 'approved' returning *`,
        [w.id, reason],
      );
      if (r.rows[0]) await insertEvents(c, [withdrawalUpdated(r.rows[0])]);
    });
  }

  /** See hotNonceSeed: read before recordSigned's transaction. */
  nonceSeed(walletKey: string, read: () => Promise<bigint | null>): Promise<bigint | null> {
    return hotNonceSeed(this.pool, walletKey, read);
  }

  /**
   * approved → signed. The node was asked everything before (`prepared`); inside the transaction that holds the
   * withdrawal (and, for EVM, the wallet's nonce counter) the transaction is only signed with the key: the nonce
   * it is given is this withdrawal's for ever. Returns null when the withdrawal is no longer approved (rejected,
   * or another worker got there first) or what was prepared is stale: nothing was stored, nothing is sent.
   */
  async recordSigned(
    w: WithdrawalRow,
    wallet: HotWallet,
    prepared: PreparedSigning,
  ): Promise<{ tx: PayoutTxRow; withdrawal: WithdrawalRow } | null> {
    return inTransaction(this.pool, async (c) => {
      const locked = await c.query<WithdrawalRow>(
        `select * from withdrawals where id = $1 and status = 'approved' for update`,
        [w.id],
      );
      if (!locked.rows[0] || isStale(prepared)) return null;
      const open = await c.query(
        'select 1 from payout_transactions where withdrawal_id = $1 and status in ($2, $3, $4)',
        [w.id, 'signed', 'broadcast', 'mined'],
      );
      if (open.rowCount) return null;
      let nonce: bigint | null = locked.rows[0].payout_nonce;
      if (wallet.nonces && nonce === null) nonce = await allocateHotNonce(c, wallet.key, prepared.seed);
      const signed = await prepared.sign(nonce);
      const tx = await c.query<PayoutTxRow>(
        `insert into payout_transactions (withdrawal_id, wallet_key, tx_hash, nonce, raw_tx, expires_at, fee_params, status)
         values ($1, $2, $3, $4, $5, $6, $7, 'signed') returning *`,
        [
          w.id,
          wallet.key,
          signed.txHash,
          signed.nonce,
          signed.raw,
          signed.expiresAt,
          JSON.stringify(signed.feeParams),
        ],
      );
      const upd = await c.query<WithdrawalRow>(
        `update withdrawals set status = 'processing', payout_state = 'signed', wallet_key = $2, payout_nonce = $3,
           tx_hash = $4, waiting_reason = null, updated_at = now() where id = $1 returning *`,
        [w.id, wallet.key, nonce, signed.txHash],
      );
      await audit(c, w.id, 'signed', `${signed.txHash}${nonce === null ? '' : ` nonce ${nonce}`}`);
      await insertEvents(c, [withdrawalUpdated(upd.rows[0]!)]);
      return { tx: tx.rows[0]!, withdrawal: upd.rows[0]! };
    });
  }

  /** A replacement for a stuck EVM transaction: same nonce, higher fees, stored before it is sent. */
  async recordReplacement(prev: PayoutTxRow, signed: SignedPayout): Promise<PayoutTxRow | null> {
    return inTransaction(this.pool, async (c) => {
      const w = await c.query<WithdrawalRow>(
        `select * from withdrawals where id = $1 and status = 'processing' for update`,
        [prev.withdrawal_id],
      );
      if (!w.rows[0] || w.rows[0].payout_nonce !== signed.nonce) return null;
      const tx = await c.query<PayoutTxRow>(
        `insert into payout_transactions (withdrawal_id, wallet_key, tx_hash, nonce, raw_tx, fee_params, status)
         values ($1, $2, $3, $4, $5, $6, 'signed') returning *`,
        [
          prev.withdrawal_id,
          prev.wallet_key,
          signed.txHash,
          signed.nonce,
          signed.raw,
          JSON.stringify(signed.feeParams),
        ],
      );
      await c.query(`update withdrawals set tx_hash = $2, updated_at = now() where id = $1`, [
        prev.withdrawal_id,
        signed.txHash,
      ]);
      await audit(
        c,
        prev.withdrawal_id,
        'replaced',
        `${prev.tx_hash} → ${signed.txHash} (same nonce, higher fees)`,
      );
      return tx.rows[0]!;
    });
  }

  async markBroadcast(tx: PayoutTxRow): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const t = await c.query(
        `update payout_transactions set status = 'broadcast', broadcast_at = now(), updated_at = now()
         where id = $1 and status = 'signed'`,
        [tx.id],
      );
      if (!t.rowCount) return;
      const w = await c.query<WithdrawalRow>(
        `update withdrawals set payout_state = 'broadcast', updated_at = now()
         where id = $1 and payout_state = 'signed' returning *`,
        [tx.withdrawal_id],
      );
      if (w.rows[0]) await insertEvents(c, [withdrawalUpdated(w.rows[0])]);
    });
  }

  async touchBroadcast(tx: PayoutTxRow, error: string | null): Promise<void> {
    await this.pool.query(
      'update payout_transactions set broadcast_at = now(), last_error = $2, updated_at = now() where id = $1',
      [tx.id, error],
    );
  }

  /**
   * The transactions of this wallet's withdrawals still `processing` that may land or wait for confirmations,
   * by withdrawal (a completed one keeps its landed transaction `mined`, and is not followed any more).
   */
  async open(key: string): Promise<{ withdrawal: WithdrawalRow; txs: PayoutTxRow[] }[]> {
    const ws = await this.pool.query<WithdrawalRow>(
      `select * from withdrawals where wallet_key = $1 and status = 'processing' order by id`,
      [key],
    );
    if (!ws.rows.length) return [];
    const r = await this.pool.query<PayoutTxRow>(
      `select * from payout_transactions where withdrawal_id = any($1::text[]) and status in ('signed', 'broadcast', 'mined')
       order by id`,
      [ws.rows.map((w) => w.id)],
    );
    const byWithdrawal = new Map<string, PayoutTxRow[]>();
    for (const t of r.rows)
      byWithdrawal.set(t.withdrawal_id, [...(byWithdrawal.get(t.withdrawal_id) ?? []), t]);
    return ws.rows
      .filter((w) => byWithdrawal.has(w.id))
      .map((w) => ({ withdrawal: w, txs: byWithdrawal.get(w.id)! }));
  }

  /** Seen in a block: this transaction mined, its same-nonce siblings replaced, the withdrawal confirming. */
  async markMined(
    w: WithdrawalRow,
    tx: PayoutTxRow,
    blockNumber: number,
    confirmations: number,
  ): Promise<WithdrawalRow> {
    return inTransaction(this.pool, async (c) => {
      await c.query(
        `update payout_transactions set status = case when id = $2 then 'mined' else 'replaced' end,
           block_number = case when id = $2 then $3 else block_number end, updated_at = now()
         where withdrawal_id = $1 and status in ('signed', 'broadcast', 'mined')`,
        [w.id, tx.id, blockNumber],
      );
      const upd = await c.query<WithdrawalRow>(
        `update withdrawals set payout_state = 'confirming', confirmations = $3, tx_hash = $2, updated_at = now()
         where id = $1 and status = 'processing' and (payout_state <> 'confirming' or confirmations <> $3 or tx_hash <> $2) returning *`,
        [w.id, tx.tx_hash, confirmations],
      );
      if (!upd.rows[0]) return w;
      await insertEvents(c, [withdrawalUpdated(upd.rows[0])]);
      return upd.rows[0];
    });
  }

  /** A mined transaction left the chain (reorg): back to broadcast, it is sent again. */
  async markUnmined(w: WithdrawalRow, tx: PayoutTxRow): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `update payout_transactions set status = 'broadcast', block_number = null, updated_at = now() where id = $1`,
        [tx.id],
      );
      const upd = await c.query<WithdrawalRow>(
        `update withdrawals set payout_state = 'broadcast', confirmations = 0, updated_at = now()
         where id = $1 and status = 'processing' returning *`,
        [w.id],
      );
      if (upd.rows[0]) await insertEvents(c, [withdrawalUpdated(upd.rows[0])]);
    });
  }

  /** TRON: the transaction expired unmined, so it can never land; the withdrawal is approved again and re-sent. */
  async markExpired(w: WithdrawalRow, tx: PayoutTxRow): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const t = await c.query(
        `update payout_transactions set status = 'expired', updated_at = now() where id = $1 and status in ('signed', 'broadcast')`,
        [tx.id],
      );
      if (!t.rowCount) return;
      const upd = await c.query<WithdrawalRow>(
        `update withdrawals set status = 'approved', payout_state = 'queued', tx_hash = null, confirmations = 0, updated_at = now()
         where id = $1 and status = 'processing' returning *`,
        [w.id],
      );
      await audit(
        c,
        w.id,
        'expired',
        `${tx.tx_hash} expired without being included; a new transaction will be built`,
      );
      if (upd.rows[0]) await insertEvents(c, [withdrawalUpdated(upd.rows[0])]);
    });
  }
}
