import { Gauge } from 'prom-client';
import type { Pool } from '../db/database.js';
import { treasuryStatus } from '../modules/treasury/index.js';
import type { OpsMetrics } from './metrics.js';

// The treasury in /metrics (docs/treasury.md), per network and mode: custody by the house books (base units; a
// gauge is a float, so large wei amounts are approximate), sweeps open and failed in the last day, the chain's
// coin burned in the last day, and whether the last reconciliation found a mismatch (the alert).

export function registerTreasuryMetrics(metrics: OpsMetrics, pool: Pool): void {
  const registers = [metrics.registry];
  const custody = new Gauge({
    name: 'novapay_treasury_custody',
    help: 'Coins held by the house books in base units: asset token|native, place deposits|hot|cold',
    labelNames: ['network', 'mode', 'asset', 'place'],
    registers,
  });
  const sweeps = new Gauge({
    name: 'novapay_treasury_sweeps',
    help: 'Sweeps open (planned to confirming), and failed in the last 24 hours',
    labelNames: ['network', 'mode', 'state'],
    registers,
  });
  const fees = new Gauge({
    name: 'novapay_treasury_fees_24h',
    help: "The chain's coin burned in the last 24 hours (sun, wei) by sweeps, top-ups, cold moves and payouts",
    labelNames: ['network', 'mode'],
    registers,
  });
  const mismatch = new Gauge({
    name: 'novapay_treasury_reconciliation_mismatch',
    help: '1 when the last reconciliation found custody on chain differing from the books with nothing moving',
    labelNames: ['network', 'mode'],
    registers,
  });
  metrics.onScrape(async () => {
    const status = await treasuryStatus(pool);
    for (const g of [custody, sweeps, fees, mismatch]) g.reset();
    for (const s of status) {
      const at = { network: s.network, mode: s.mode };
      for (const c of s.custody) custody.set({ ...at, asset: c.asset, place: c.place }, Number(c.balance));
      sweeps.set({ ...at, state: 'open' }, s.sweepsOpen);
      sweeps.set({ ...at, state: 'failed' }, s.sweepsFailed24h);
      fees.set(at, Number(s.fees24h));
      if (s.reconciliation) mismatch.set(at, s.reconciliation.status === 'mismatch' ? 1 : 0);
    }
  });
}
