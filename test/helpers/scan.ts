import type { App } from '../../src/app.js';

/** Config for tests that drive chain scanners by hand: no scheduled passes or expiry sweeps interfere. */
export const MANUAL_SCAN_CONFIG = {
  chainScanIntervalMs: 600_000,
  depositExpiryIntervalMs: 600_000,
  chainInitialLookbackBlocks: 0,
  outboxPollMs: 100,
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
