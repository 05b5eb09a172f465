import { loadConfig } from '../../src/config.js';
import type { SweepPolicyInput } from '../../src/config-treasury.js';
import type { Sweeper, SweepPassResult } from '../../src/modules/treasury/index.js';
import { useEvmApp } from './evm.js';

/**
 * An EVM devnet app that sweeps ERC20 test mode with `policy`, `hotKey` as its hot wallet, and scheduled passes
 * far away (tests drive passes by hand with `pass`, or through the queue).
 */
export function useSweptEvmApp(hotKey: string, policy: SweepPolicyInput) {
  const base = loadConfig();
  const t = useEvmApp({
    payouts: { ...base.payouts, monitorMs: 600_000, evmPrivateKey: hotKey },
    treasury: {
      ...base.treasury,
      signerRole: 'worker',
      sweepIntervalMs: 600_000,
      policies: { 'ERC20:test': policy },
    },
  });
  const sweeper = (): Sweeper => t.app.signer!.sweepers.byChain.get('ERC20:test')!;
  /** One sweep pass, retried while another pass (the queue's) holds the network's lock. */
  async function pass(): Promise<SweepPassResult> {
    for (;;) {
      const r = await sweeper().pass();
      if (!r.skipped) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  /** Waits until the sweep queue's due jobs (the pass added at start, the schedulers' first runs) have run. */
  async function queueIdle(): Promise<void> {
    const queue = t.app.queues.sweeps('ERC20:test');
    for (let i = 0; i < 500; i++) {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
      if (Object.values(c).every((n) => n === 0)) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('the sweep queue never went idle');
  }
  return { t, sweeper, pass, queueIdle };
}
