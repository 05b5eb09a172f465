import type { Pool, PoolClient } from '../../db/database.js';
import type { SweepRow, TreasuryTxRow } from './store.js';

// The sweeper's queries for TRON's delegate mode (loans of energy and their reclaim) and for leftover TRX sent
// back from swept deposit addresses. Their state changes are in lending.ts and leftover.ts.

/** A sweep-back of leftover coin that failed: its address is looked at again after its last sweep. */
export const LEFTOVER_AGAIN = `update sweeps set leftover_checked = false, updated_at = now() where id = (
  select s.id from sweeps s join sweeps l on l.chain = s.chain and l.from_address = s.from_address
  where l.tx_id = $1 and l.kind = 'leftover' and s.kind = 'sweep' order by s.created_at desc limit 1)`;

/** A landed top-up: its sweeps have the coin; in delegate mode they wait for their energy next. */
export const AFTER_TOPUP = `update sweeps set status = case when fee_params->>'fees' = 'delegate' then 'delegating' else 'ready' end,
  updated_at = now() where topup_tx_id = $1 and status = 'funding'`;

/** A top-up or a loan is in a block: its sweeps move on (a top-up's to their energy in delegate mode, or ready). */
export async function afterLanded(c: PoolClient, tx: TreasuryTxRow): Promise<void> {
  await c.query(AFTER_TOPUP, [tx.id]);
  if (tx.kind === 'delegate')
    await c.query(
      `update sweeps set status = 'ready', updated_at = now() where delegate_tx_id = $1 and status = 'delegating'`,
      [tx.id],
    );
}

/**
 * A transaction expired unmined: a dead sweep-back is looked at again, a dead loan is signed again while its sweep
 * waits, a dead reclaim is signed again.
 */
export async function afterExpired(c: PoolClient, tx: TreasuryTxRow): Promise<void> {
  if (tx.kind === 'leftover') await c.query(LEFTOVER_AGAIN, [tx.id]);
  await c.query(
    `update sweeps set delegate_tx_id = null, updated_at = now() where delegate_tx_id = $1 and status = 'delegating'`,
    [tx.id],
  );
  await c.query('update sweeps set undelegate_tx_id = null, updated_at = now() where undelegate_tx_id = $1', [
    tx.id,
  ]);
}

/**
 * Delegate mode: sweeps waiting for energy with no delegation stored, oldest first. An address still holding an
 * earlier sweep's loan that is not reclaimed yet waits: that energy would leave with the reclaim.
 */
export async function delegatingSweeps(pool: Pool, chain: string, limit: number): Promise<SweepRow[]> {
  const r = await pool.query<SweepRow>(
    `select * from sweeps s where chain = $1 and status = 'delegating' and delegate_tx_id is null
       and not exists (select 1 from sweeps o join treasury_transactions d on d.id = o.delegate_tx_id
                       left join treasury_transactions u on u.id = o.undelegate_tx_id
                       where o.chain = s.chain and o.from_address = s.from_address and o.id <> s.id
                         and d.status not in ('expired', 'failed') and (u.id is null or u.status <> 'confirmed'))
     order by created_at, id limit $2`,
    [chain, limit],
  );
  return r.rows;
}

/** The address has the energy already: the sweep is ready to sign. */
export async function energyReady(pool: Pool, s: SweepRow): Promise<void> {
  await pool.query(
    `update sweeps set status = 'ready', updated_at = now() where id = $1 and status = 'delegating'`,
    [s.id],
  );
}

/** Settled sweeps whose delegation landed and is not reclaimed yet, with the stake lent (sun). */
export async function reclaimableSweeps(
  pool: Pool,
  chain: string,
  limit: number,
): Promise<(SweepRow & { delegated: string })[]> {
  const r = await pool.query<SweepRow & { delegated: string }>(
    `select s.*, d.value::text as delegated from sweeps s join treasury_transactions d on d.id = s.delegate_tx_id
     where s.chain = $1 and s.delegate_tx_id is not null and s.undelegate_tx_id is null
       and s.status in ('completed', 'failed') and d.status = 'confirmed'
     order by s.updated_at, s.id limit $2`,
    [chain, limit],
  );
  return r.rows;
}

export interface LeftoverCandidate {
  from_address: string;
  address_index: bigint;
  deposit_id: string | null;
}

/**
 * Swept addresses not yet looked at for leftover coin: a token sweep settled since, nothing open on the address,
 * and no credited tokens waiting there (a later sweep would need its coin).
 */
export async function leftoverCandidates(
  pool: Pool,
  chain: string,
  limit: number,
): Promise<LeftoverCandidate[]> {
  const r = await pool.query<LeftoverCandidate>(
    `select distinct on (s.from_address) s.from_address, s.address_index, s.deposit_id from sweeps s
     where s.chain = $1 and s.kind = 'sweep' and not s.leftover_checked and s.status in ('completed', 'failed')
       and s.address_index is not null
       and not exists (select 1 from sweeps o where o.chain = s.chain and o.from_address = s.from_address
                       and o.status not in ('completed', 'failed'))
       and not exists (select 1 from deposits d where d.chain = s.chain and d.address = s.from_address
                       and d.amount_received_minor > coalesce((select sum(x.amount) from sweeps x
                         where x.chain = d.chain and x.from_address = d.address and x.kind = 'sweep'
                           and x.status <> 'failed'), 0))
     order by s.from_address, s.created_at desc limit $2`,
    [chain, limit],
  );
  return r.rows;
}

/** The address was looked at: its settled token sweeps are done with. */
export async function leftoverChecked(pool: Pool | { query: Pool['query'] }, chain: string, address: string) {
  await pool.query(
    `update sweeps set leftover_checked = true, updated_at = now()
     where chain = $1 and from_address = $2 and kind = 'sweep' and not leftover_checked and status in ('completed', 'failed')`,
    [chain, address],
  );
}
