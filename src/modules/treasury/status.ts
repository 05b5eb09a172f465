import type { Pool } from '../../db/database.js';

// What an operator asks of the treasury, per network and mode: where the coins are by the books (stranded on
// deposit addresses, hot, cold), sweeps under way and failed, the fees of the last 24 hours, and the last
// comparison with the chain. Read by the GraphQL `ops` field and /metrics; cheap queries over small tables.

export interface TreasuryDifference {
  asset: string;
  place: string;
  onChain: string;
  books: string;
  difference: string;
  addresses: { address: string; balance: string }[];
}

export interface TreasuryNetworkStatus {
  network: string;
  mode: string;
  /** Base units as text, by asset (`token`, `native`) and place (`deposits`, `hot`, `cold`). */
  custody: { asset: string; place: string; balance: string }[];
  sweepsOpen: number;
  sweepsFailed24h: number;
  /** Ops paused its sweeping (`pauseSweeping`), and who last changed that and when. */
  paused: boolean;
  pausedBy: string | null;
  pausedAt: Date | null;
  /** The chain's coin (sun, wei) burned in the last 24 hours by sweeps, top-ups, cold moves and payouts. */
  fees24h: string;
  reconciliation: {
    status: 'ok' | 'in_flight' | 'mismatch';
    checkedAt: Date;
    alert: string | null;
    differences: TreasuryDifference[];
  } | null;
}

export async function treasuryStatus(pool: Pool): Promise<TreasuryNetworkStatus[]> {
  const [custody, sweeps, fees, recs, controls] = await Promise.all([
    pool.query<{ network: string; mode: string; asset: string; code: string; balance: string }>(
      `select a.network, a.mode, a.asset, a.code, coalesce(sum(e.amount), 0)::text as balance
       from house_accounts a left join house_entries e on e.account_id = a.id
       where a.code like 'custody:%' group by a.id order by a.network, a.mode, a.asset, a.code`,
    ),
    pool.query<{ network: string; mode: string; open: number; failed: number }>(
      `select network, mode, (count(*) filter (where status not in ('completed', 'failed')))::int as open,
              (count(*) filter (where status = 'failed' and updated_at > now() - interval '1 day'))::int as failed
       from sweeps group by network, mode`,
    ),
    pool.query<{ network: string; mode: string; fees: string }>(
      `select network, mode, sum(amount)::text as fees from house_transactions
       where type = 'fee' and created_at > now() - interval '1 day' group by network, mode`,
    ),
    pool.query<{
      network: string;
      mode: string;
      status: 'ok' | 'in_flight' | 'mismatch';
      checked_at: Date;
      alert: string | null;
      differences: TreasuryDifference[];
    }>('select network, mode, status, checked_at, alert, differences from treasury_reconciliations'),
    pool.query<{ network: string; mode: string; paused: boolean; changed_by: string; changed_at: Date }>(
      'select network, mode, paused, changed_by, changed_at from treasury_controls',
    ),
  ]);
  const out = new Map<string, TreasuryNetworkStatus>();
  const of = (network: string, mode: string) => {
    const key = `${network}:${mode}`;
    let s = out.get(key);
    if (!s) {
      s = {
        network,
        mode,
        custody: [],
        sweepsOpen: 0,
        sweepsFailed24h: 0,
        paused: false,
        pausedBy: null,
        pausedAt: null,
        fees24h: '0',
        reconciliation: null,
      };
      out.set(key, s);
    }
    return s;
  };
  for (const r of custody.rows)
    of(r.network, r.mode).custody.push({
      asset: r.asset,
      place: r.code.replace('custody:', ''),
      balance: r.balance,
    });
  for (const r of sweeps.rows)
    Object.assign(of(r.network, r.mode), { sweepsOpen: r.open, sweepsFailed24h: r.failed });
  for (const r of fees.rows) of(r.network, r.mode).fees24h = r.fees;
  for (const r of recs.rows)
    of(r.network, r.mode).reconciliation = {
      status: r.status,
      checkedAt: r.checked_at,
      alert: r.alert,
      differences: r.differences,
    };
  for (const r of controls.rows)
    if (r.paused)
      Object.assign(of(r.network, r.mode), { paused: true, pausedBy: r.changed_by, pausedAt: r.changed_at });
  return [...out.values()].sort((a, b) => `${a.network}:${a.mode}`.localeCompare(`${b.network}:${b.mode}`));
}
