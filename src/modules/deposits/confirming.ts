import type { PoolClient } from '../../db/database.js';
import type { DepositRow } from './view.js';

// What a deposit has on chain and not credited yet: `amount_confirming_minor` (the sum of its transfers
// still `seen`) and `confirming_tx_hash` (the latest of them, in chain order), next to the credited
// `amount_received_minor` and `tx_hash`. The scanner brings them forward whenever transfers are seen or
// orphaned, and the crediting transaction whenever it credits (credit-rows.ts). See docs/deposits.md.

/** A transfer not credited yet, as much of it as the confirming fields need. */
export interface SeenTransfer {
  id: number | string | bigint;
  deposit_id: string;
  tx_hash: string;
  amount_minor: string;
  block_number: number | string | bigint;
  log_index: number;
}

/** The confirming fields of a deposit whose uncredited transfers are `seen`. */
export function confirmingOf(seen: SeenTransfer[]): { amount: string; txHash: string | null } {
  let amount = 0n;
  let latest: SeenTransfer | null = null;
  for (const t of seen) {
    amount += BigInt(t.amount_minor);
    if (!latest || chainOrder(t, latest) > 0) latest = t;
  }
  return { amount: amount.toString(), txHash: latest?.tx_hash ?? null };
}

/**
 * The confirming fields of each payment's deposit right after that payment of a crediting batch is credited, in
 * batch order: `stillSeen` are the deposits' transfers left `seen` once the whole batch is marked; the batch's
 * own later payments are still confirming until their turn.
 */
export function confirmingAfterEach(
  stillSeen: SeenTransfer[],
  batch: SeenTransfer[],
): { amount: string; txHash: string | null }[] {
  return batch.map((t, i) =>
    confirmingOf([
      ...stillSeen.filter((x) => x.deposit_id === t.deposit_id),
      ...batch.slice(i + 1).filter((x) => x.deposit_id === t.deposit_id),
    ]),
  );
}

function chainOrder(a: SeenTransfer, b: SeenTransfer): number {
  const d = BigInt(a.block_number) - BigInt(b.block_number);
  if (d !== 0n) return d > 0n ? 1 : -1;
  if (a.log_index !== b.log_index) return a.log_index - b.log_index;
  return BigInt(a.id) > BigInt(b.id) ? 1 : BigInt(a.id) < BigInt(b.id) ? -1 : 0;
}

/** The transfers still `seen` of these deposits (read after their rows are locked). */
export async function seenTransfers(c: PoolClient, depositIds: string[]): Promise<SeenTransfer[]> {
  const r = await c.query<SeenTransfer>(
    `select id, deposit_id, tx_hash, amount_minor::text, block_number, log_index from chain_transfers
     where deposit_id = any($1) and status = 'seen'`,
    [depositIds],
  );
  return r.rows;
}

/**
 * Brings these deposits in line with their transfers after some were seen or orphaned: the confirming
 * fields, and the status (pending or expired → confirming once something is seen; confirming → pending or
 * expired, confirmations 0, once nothing is left on chain). Returns the rows that changed, for their
 * `deposit.updated`. The rows are locked first, so the sums are read after any crediting transaction that
 * held them has committed.
 */
export async function refreshDeposits(c: PoolClient, ids: string[]): Promise<DepositRow[]> {
  if (ids.length === 0) return [];
  await c.query('select id from deposits where id = any($1) order by id for update', [ids]);
  const r = await c.query<DepositRow>(
    `with s as (
       select d.id, d.status as was,
              coalesce(sum(t.amount_minor) filter (where t.status = 'seen'), 0) as amount,
              (array_agg(t.tx_hash order by t.block_number desc, t.log_index desc, t.id desc)
                 filter (where t.status = 'seen'))[1] as latest,
              count(t.id) filter (where t.status = 'seen') as seen,
              count(t.id) filter (where t.status <> 'orphaned') as live,
              d.expires_at < now() as past
       from deposits d left join chain_transfers t on t.deposit_id = d.id
       where d.id = any($1) group by d.id),
     n as (
       select id, was, amount, latest,
              case when seen > 0 and was in ('pending', 'expired') then 'confirming'
                   when live = 0 and was = 'confirming' then case when past then 'expired' else 'pending' end
                   else was end as status
       from s)
     update deposits d set amount_confirming_minor = n.amount, confirming_tx_hash = n.latest, status = n.status,
       confirmations = case when n.was = 'confirming' and n.status <> 'confirming' then 0 else d.confirmations end,
       updated_at = now()
     from n
     where d.id = n.id
       and (d.amount_confirming_minor, d.confirming_tx_hash, d.status) is distinct from (n.amount, n.latest, n.status)
     returning d.*`,
    [ids],
  );
  return r.rows;
}
