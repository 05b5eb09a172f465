import { Gauge } from 'prom-client';
import type { Pool } from '../db/database.js';
import type { OpsMetrics } from './metrics.js';

// Money that waits on ops, in /metrics (issue 19): payouts approved but waiting for the hot wallet (short of
// token or fees), withdrawals waiting for an approval, unexpected payments nobody has resolved yet, and deposit
// payments that wait uncredited because their merchant's rate is 0 (docs/deposits.md "Crediting"). Read
// on each scrape with counts over partial or small sets; facts about the whole deployment (aggregate with max()).

export function registerMoneyMetrics(metrics: OpsMetrics, pool: Pool): void {
  const registers = [metrics.registry];
  const waiting = new Gauge({
    name: 'novapay_payouts_waiting',
    help: 'Approved withdrawals whose payout waits for the hot wallet (short of token or fees), per network and mode',
    labelNames: ['network', 'mode'],
    registers,
  });
  const waitingOldest = new Gauge({
    name: 'novapay_payouts_waiting_oldest_seconds',
    help: 'How long the oldest payout waiting for the hot wallet has waited since it was approved (0 when none)',
    registers,
  });
  const approvals = new Gauge({
    name: 'novapay_withdrawals_pending_approval',
    help: 'Withdrawals waiting for an approval, per mode',
    labelNames: ['mode'],
    registers,
  });
  const unexpected = new Gauge({
    name: 'novapay_unexpected_funds_open',
    help: 'Payments to deposit addresses that no deposit takes (coins, foreign tokens) not yet resolved by ops',
    registers,
  });
  const rateZero = new Gauge({
    name: 'novapay_deposit_payments_waiting_for_rate',
    help: "Deposit payments seen and not credited whose merchant's rate is 0 Stars per USDT: credited once the rate is set",
    registers,
  });
  metrics.onScrape(async () => {
    const [w, a, u, z] = await Promise.all([
      pool.query<{ network: string; mode: string; n: number; oldest: number | null }>(
        `select network, mode, count(*)::int as n, extract(epoch from now() - min(updated_at))::float8 as oldest
         from withdrawals where status = 'approved' and waiting_reason is not null group by network, mode`,
      ),
      pool.query<{ mode: string; n: number }>(
        `select mode, count(*)::int as n from withdrawals where status = 'pending_approval' group by mode`,
      ),
      pool.query<{ n: number }>(
        `select count(*)::int as n from unexpected_funds u
         where not exists (select 1 from unexpected_fund_resolutions r where r.unexpected_fund_id = u.id)`,
      ),
      // A rate of 0 as settingsSchema writes it: "0", or "0." and zeros.
      pool.query<{ n: number }>(
        `select count(*)::int as n from chain_transfers t join deposits d on d.id = t.deposit_id
         join merchants m on m.id = d.merchant_id
         where t.status = 'seen' and m.settings->>'starsPerUsdt' ~ '^0(\\.0*)?$'`,
      ),
    ]);
    waiting.reset();
    approvals.reset();
    for (const mode of ['live', 'test']) approvals.set({ mode }, 0);
    for (const r of w.rows) waiting.set({ network: r.network, mode: r.mode }, r.n);
    waitingOldest.set(Math.max(0, ...w.rows.map((r) => r.oldest ?? 0)));
    for (const r of a.rows) approvals.set({ mode: r.mode }, r.n);
    unexpected.set(u.rows[0]!.n);
    rateZero.set(z.rows[0]!.n);
  });
}
