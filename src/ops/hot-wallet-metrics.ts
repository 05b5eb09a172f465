import { Gauge } from 'prom-client';
import type { Pool } from '../db/database.js';
import type { OpsMetrics } from './metrics.js';
import { hotWalletStatus } from './status.js';

// Hot wallets in /metrics, from what the payout workers last recorded in `hot_wallets`: balances in base units
// (sun, wei, token units; a gauge is a float, so very large wei values are approximate), whether the wallet has
// an alert (short of token or fees, a refused broadcast), and its payouts in flight and confirming.

export function registerHotWalletMetrics(metrics: OpsMetrics, pool: Pool): void {
  const registers = [metrics.registry];
  const balance = new Gauge({
    name: 'novapay_hot_wallet_balance',
    help: 'Hot-wallet balance in base units: asset=native (sun, wei) or the token of a network',
    labelNames: ['wallet', 'asset'],
    registers,
  });
  const alert = new Gauge({
    name: 'novapay_hot_wallet_alert',
    help: '1 while payouts of this hot wallet wait (short of token or fees) or a broadcast is refused',
    labelNames: ['wallet'],
    registers,
  });
  const payouts = new Gauge({
    name: 'novapay_payouts_open',
    help: 'Payouts of this hot wallet signed or sent but not in a block (in_flight), or in a block but not final',
    labelNames: ['wallet', 'state'],
    registers,
  });
  metrics.onScrape(async () => {
    const wallets = await hotWalletStatus(pool);
    balance.reset();
    alert.reset();
    payouts.reset();
    for (const w of wallets) {
      if (w.balances.native !== undefined)
        balance.set({ wallet: w.key, asset: 'native' }, Number(w.balances.native));
      for (const [network, units] of Object.entries(w.balances.token ?? {}))
        balance.set({ wallet: w.key, asset: network }, Number(units));
      alert.set({ wallet: w.key }, w.alert ? 1 : 0);
      payouts.set({ wallet: w.key, state: 'in_flight' }, w.inFlight);
      payouts.set({ wallet: w.key, state: 'confirming' }, w.confirming);
    }
  });
}
