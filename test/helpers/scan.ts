import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** Config for tests that drive chain scanners by hand: no scheduled passes or expiry sweeps interfere. */
export const MANUAL_SCAN_CONFIG = {
  chainScanIntervalMs: 600_000,
  depositExpiryIntervalMs: 600_000,
  outboxPollMs: 100,
  payouts: { ...loadConfig().payouts, monitorMs: 600_000 },
};

/** One scanner pass of a chain, retried while another pass holds the chain's lock. */
export async function scanOnce(app: App, chain: string) {
  const scanner = app.workers!.scanning.scanners.get(chain)!;
  for (let i = 0; i < 100; i++) {
    const r = await scanner.pass();
    if (!r.skipped) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('scanner lock never free');
}

/** One pass of every payout hot wallet, each retried while another pass holds that wallet's lock. */
export async function payoutOnce(app: App) {
  const out = [];
  for (const p of app.workers!.payouts.processors.values()) {
    for (let i = 0; ; i++) {
      const r = await p.tick();
      if (!r.skipped) {
        out.push(r);
        break;
      }
      if (i > 3000) throw new Error('payout lock never free');
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  return out;
}
