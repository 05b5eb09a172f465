import { inTransaction, type Pool } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import type { Mode } from '../../lib/tenant.js';
import { afterExpired, afterLanded } from './store-tron.js';

// The sweeper's database side. Every step is one short transaction that checks the sweep (or transaction) is
// still where the step expects it, so a second pass or a replay after a crash changes nothing; a signed
// transaction is stored, with its nonce, before it is ever sent.

export type SweepStatus =
  | 'funding'
  | 'delegating'
  | 'ready'
  | 'signed'
  | 'broadcast'
  | 'confirming'
  | 'completed'
  | 'failed';

export interface SweepRow {
  id: string;
  chain: string;
  network: string;
  mode: Mode;
  kind: 'sweep' | 'cold' | 'leftover';
  from_address: string;
  address_index: bigint | null;
  deposit_id: string | null;
  to_address: string;
  amount: string;
  topup: string;
  fee_params: Record<string, string>;
  status: SweepStatus;
  failure_reason: string | null;
  topup_tx_id: bigint | null;
  tx_id: bigint | null;
  /** TRON delegate mode: the staking account's delegation for this sweep, and its reclaim. */
  delegate_tx_id: bigint | null;
  undelegate_tx_id: bigint | null;
  created_at: Date;
}

export interface TreasuryTxRow {
  id: bigint;
  chain: string;
  kind: 'topup' | 'sweep' | 'cold' | 'delegate' | 'undelegate' | 'leftover';
  signer_key: string;
  nonce: bigint | null;
  tx_hash: string;
  raw_tx: string;
  value: string;
  fee_params: Record<string, string>;
  status: 'signed' | 'broadcast' | 'mined' | 'confirmed' | 'failed' | 'expired';
  block_number: bigint | null;
  /** TRON: after this (on the solidified chain) the transaction can no longer be included. */
  expires_at: Date | null;
  created_at: Date;
  broadcast_at: Date | null;
}

export interface Candidate {
  deposit_id: string;
  address: string;
  address_index: bigint;
  unswept: string;
}

export type NewSweep = Pick<
  SweepRow,
  | 'chain'
  | 'network'
  | 'mode'
  | 'kind'
  | 'from_address'
  | 'address_index'
  | 'deposit_id'
  | 'to_address'
  | 'amount'
  | 'topup'
  | 'fee_params'
  | 'status'
>;

export const OPEN_SWEEP = `status not in ('completed', 'failed')`;

export class TreasuryStore {
  constructor(readonly pool: Pool) {}

  /**
   * Deposit addresses of a chain whose credited tokens (the deposit's amount received) exceed what their sweeps
   * moved or are moving, by at least `min`, with no sweep open; largest first.
   */
  /** Whether ops paused this network's sweeping (`pauseSweeping`). */
  async paused(chain: string): Promise<boolean> {
    const r = await this.pool.query<{ paused: boolean }>(
      'select paused from treasury_controls where chain = $1',
      [chain],
    );
    return r.rows[0]?.paused ?? false;
  }

  /** Addresses to sweep, largest first; `address` narrows it to that one (ops' `sweepAddress`). */
  async candidates(chain: string, min: bigint, limit: number, address?: string): Promise<Candidate[]> {
    const r = await this.pool.query<Candidate>(
      `select d.id as deposit_id, d.address, d.address_index, (d.amount_received_minor - coalesce(s.swept, 0))::text as unswept
       from deposits d
       left join lateral (select sum(amount) as swept from sweeps
                          where chain = d.chain and from_address = d.address and kind = 'sweep' and status <> 'failed') s on true
       where d.chain = $1 and d.amount_received_minor > 0 and ($4::text is null or d.address = $4)
         and d.amount_received_minor - coalesce(s.swept, 0) >= greatest($2::numeric, 1)
         and not exists (select 1 from sweeps o where o.chain = d.chain and o.from_address = d.address and o.${OPEN_SWEEP})
       order by d.amount_received_minor - coalesce(s.swept, 0) desc, d.id limit $3`,
      [chain, min.toString(), limit, address ?? null],
    );
    return r.rows;
  }

  /** Every deposit address of a chain that holds or held custody: credited tokens, or a top-up. */
  async custodyAddresses(chain: string): Promise<string[]> {
    const r = await this.pool.query<{ address: string }>(
      `select address from deposits where chain = $1 and amount_received_minor > 0
       union select from_address from sweeps where chain = $1 and kind = 'sweep' order by 1`,
      [chain],
    );
    return r.rows.map((x) => x.address);
  }

  /**
   * Whether anything that changes custody is still on its way for this chain or its hot wallet: a treasury
   * transaction not settled, a payout of the wallet not completed, or a payment seen but not yet credited.
   */
  async moving(chain: string, walletKey: string): Promise<boolean> {
    const r = await this.pool.query<{ moving: boolean }>(
      `select exists(select 1 from treasury_transactions
                     where (chain = $1 or signer_key = $2) and status in ('signed', 'broadcast', 'mined'))
           or exists(select 1 from withdrawals where wallet_key = $2 and status = 'processing')
           or exists(select 1 from chain_transfers where chain = $1 and status = 'seen') as moving`,
      [chain, walletKey],
    );
    return r.rows[0]!.moving;
  }

  async recordReconciliation(
    chain: string,
    network: string,
    mode: Mode,
    status: 'ok' | 'in_flight' | 'mismatch',
    differences: unknown[],
    alert: string | null,
  ): Promise<void> {
    const json = JSON.stringify(differences, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    await this.pool.query(
      `insert into treasury_reconciliations (chain, network, mode, status, differences, alert, checked_at)
       values ($1, $2, $3, $4, $5, $6, now())
       on conflict (chain) do update set status = excluded.status, differences = excluded.differences,
         alert = excluded.alert, checked_at = now()`,
      [chain, network, mode, status, json, alert],
    );
  }

  /** A new sweep; null when the address already has one open (the unique index decides). */
  async createSweep(s: NewSweep): Promise<SweepRow | null> {
    const r = await this.pool.query<SweepRow>(
      `insert into sweeps (id, chain, network, mode, kind, from_address, address_index, deposit_id, to_address, amount, topup,
         fee_params, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       on conflict (chain, from_address) where ${OPEN_SWEEP} do nothing returning *`,
      [
        newId('swp'),
        s.chain,
        s.network,
        s.mode,
        s.kind,
        s.from_address,
        s.address_index,
        s.deposit_id,
        s.to_address,
        s.amount,
        s.topup,
        JSON.stringify(s.fee_params),
        s.status,
      ],
    );
    return r.rows[0] ?? null;
  }

  async byStatus(
    chain: string,
    status: SweepStatus,
    limit: number,
    unfundedOnly = false,
  ): Promise<SweepRow[]> {
    const r = await this.pool.query<SweepRow>(
      `select * from sweeps where chain = $1 and status = $2 and ($3::boolean = false or topup_tx_id is null)
       order by created_at, id limit $4`,
      [chain, status, unfundedOnly, limit],
    );
    return r.rows;
  }

  /** How many sweeps of a kind are open on a chain, and the tokens they move. */
  async open(chain: string, kind: SweepRow['kind']): Promise<{ count: number; amount: bigint }> {
    const r = await this.pool.query<{ n: number; amount: string }>(
      `select count(*)::int as n, coalesce(sum(amount), 0)::text as amount from sweeps
       where chain = $1 and kind = $2 and ${OPEN_SWEEP}`,
      [chain, kind],
    );
    return { count: r.rows[0]!.n, amount: BigInt(r.rows[0]!.amount) };
  }

  async failSweep(s: SweepRow, reason: string): Promise<void> {
    await this.pool.query(
      `update sweeps set status = 'failed', failure_reason = $3, updated_at = now() where id = $1 and status = $2`,
      [s.id, s.status, reason],
    );
  }

  /** Transactions that may still land or wait for confirmations, oldest first. */
  async openTransactions(chain: string): Promise<TreasuryTxRow[]> {
    const r = await this.pool.query<TreasuryTxRow>(
      `select * from treasury_transactions where chain = $1 and status in ('signed', 'broadcast', 'mined') order by id`,
      [chain],
    );
    return r.rows;
  }

  /** signed → broadcast (the transaction and its sweep); later sends only note the time and the error. */
  async markBroadcast(tx: TreasuryTxRow, error: string | null): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const t = await c.query(
        `update treasury_transactions set status = case when status = 'signed' and $2::text is null then 'broadcast' else status end,
           broadcast_at = now(), last_error = $2, updated_at = now() where id = $1 returning status`,
        [tx.id, error],
      );
      if (t.rows[0]?.status === 'broadcast')
        await c.query(
          `update sweeps set status = 'broadcast', updated_at = now() where tx_id = $1 and status = 'signed'`,
          [tx.id],
        );
    });
  }

  /**
   * In a block, not yet deep enough: the transaction is mined and its sweep confirming; a top-up that succeeded
   * makes its sweeps ready to sign (the coin is on the addresses).
   */
  async markMined(tx: TreasuryTxRow, blockNumber: number, success: boolean): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `update treasury_transactions set status = 'mined', block_number = $2, updated_at = now() where id = $1`,
        [tx.id, blockNumber],
      );
      await c.query(
        `update sweeps set status = 'confirming', updated_at = now() where tx_id = $1 and status in ('signed', 'broadcast')`,
        [tx.id],
      );
      if (success) await afterLanded(c, tx);
    });
  }

  /**
   * TRON: the transaction expired and is in no block, so it can never land: its sweep is ready to be signed
   * again, or its sweeps wait for a new top-up.
   */
  async markExpired(tx: TreasuryTxRow): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const t = await c.query(
        `update treasury_transactions set status = 'expired', updated_at = now()
         where id = $1 and status in ('signed', 'broadcast')`,
        [tx.id],
      );
      if (!t.rowCount) return;
      await c.query(
        `update sweeps set status = 'ready', tx_id = null, updated_at = now()
         where tx_id = $1 and kind = 'sweep' and status in ('signed', 'broadcast')`,
        [tx.id],
      );
      await c.query(
        `update sweeps set status = 'failed', failure_reason = $2, updated_at = now()
         where tx_id = $1 and kind in ('cold', 'leftover') and status in ('signed', 'broadcast')`,
        [tx.id, `${tx.tx_hash} expired unmined`],
      );
      await c.query(
        `update sweeps set topup_tx_id = null, updated_at = now() where topup_tx_id = $1 and status = 'funding'`,
        [tx.id],
      );
      await afterExpired(c, tx);
    });
  }

  /** A mined transaction left the chain (reorg): back to broadcast, sent again. */
  async markUnmined(tx: TreasuryTxRow): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `update treasury_transactions set status = 'broadcast', block_number = null, updated_at = now() where id = $1`,
        [tx.id],
      );
      await c.query(
        `update sweeps set status = 'broadcast', updated_at = now() where tx_id = $1 and status = 'confirming'`,
        [tx.id],
      );
    });
  }
}
