import type { Pool } from 'pg';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SweepPolicyInput } from '../../src/config-treasury.js';
import { reconcileNetwork, type Sweeper, type SweepPassResult } from '../../src/modules/treasury/index.js';
import type { TestContext } from './app.js';
import { useEvmApp } from './evm.js';
import { checkHouseInvariants } from './invariants.js';

/** One sweep pass, retried while another pass (the queue's) holds the network's lock. */
export async function passOf(sweeper: Sweeper): Promise<SweepPassResult> {
  for (;;) {
    const r = await sweeper.pass();
    if (!r.skipped) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * An EVM devnet app that sweeps ERC20 test mode with `policy`, `hotKey` as its hot wallet, and scheduled passes
 * far away (tests drive passes by hand with `pass`, or through the queue).
 */
export function useSweptEvmApp(hotKey: string, policy: SweepPolicyInput, opts: { gate?: boolean } = {}) {
  const base = loadConfig();
  const t = useEvmApp(
    {
      payouts: { ...base.payouts, monitorMs: 600_000, evmPrivateKey: hotKey },
      treasury: {
        ...base.treasury,
        signerRole: 'worker',
        sweepIntervalMs: 600_000,
        policies: { 'ERC20:test': policy },
      },
    },
    {},
    'all',
    opts,
  );
  const sweeper = (): Sweeper => t.app.signer!.sweepers.byChain.get('ERC20:test')!;
  const pass = () => passOf(sweeper());
  const queueIdle = () => sweepQueueIdle(t, 'ERC20:test');
  return { t, sweeper, pass, queueIdle };
}

/**
 * Waits until a chain's sweep queue has run its due jobs (the pass the signer adds at start, the schedulers'
 * first runs): from then on the passes are the test's. A start pass that runs late (a loaded machine) during a
 * test's own pass plans that pass's sweep itself, and the test's finds nothing to plan.
 */
export async function sweepQueueIdle(t: TestContext, chain: string): Promise<void> {
  const queue = t.app.queues.sweeps(chain);
  for (let i = 0; i < 500; i++) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
    if (Object.values(c).every((n) => n === 0)) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('the sweep queue never went idle');
}

/** The house books of one network in test mode, by `<asset> <code>` (`token custody:hot`). */
export async function houseBooks(app: { services: TestContext['app']['services'] }, network: string) {
  const rows = await app.services.ledger.house.balances({ network, mode: 'test' });
  return Object.fromEntries(rows.map((r) => [`${r.asset} ${r.code}`, r.balance])) as Record<string, bigint>;
}

/** What the house books posted for a transaction hash: `<type> <asset> <from>→<to> <amount>`, in order. */
export async function housePostings(pool: Pool, txHash: string): Promise<string[]> {
  const r = await pool.query<{ line: string }>(
    `select t.type || ' ' || t.asset || ' ' || fa.code || '→' || ta.code || ' ' || t.amount::text as line
     from house_transactions t join house_accounts fa on fa.id = t.from_account_id
     join house_accounts ta on ta.id = t.to_account_id where t.reference = $1 order by t.id`,
    [txHash],
  );
  return r.rows.map((x) => x.line);
}

/** The network's custody on chain matches the books (no difference in any check), and the books balance. */
export async function expectReconciled(sweeper: Sweeper, pool: Pool): Promise<void> {
  const checks = await reconcileNetwork(sweeper.deps);
  expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
  await checkHouseInvariants(pool);
}

/**
 * The books of a network after its sweeps settled: no token left in custody on deposit addresses, and what the
 * chain holds (the hot wallet's token and coin, the coin left on deposit addresses) and burned is what they say.
 */
export async function expectSettledBooks(
  app: { services: TestContext['app']['services']; pool: Pool },
  network: string,
  chain: { hotToken: bigint; hotNative: bigint; depositsNative: bigint; fees: bigint },
): Promise<void> {
  const house = await houseBooks(app, network);
  expect({
    'token custody:deposits': house['token custody:deposits'] ?? 0n,
    'token custody:hot': house['token custody:hot'],
    'native custody:hot': house['native custody:hot'],
    'native custody:deposits': house['native custody:deposits'] ?? 0n,
    'native network_fees': house['native network_fees'],
  }).toEqual({
    'token custody:deposits': 0n,
    'token custody:hot': chain.hotToken,
    'native custody:hot': chain.hotNative,
    'native custody:deposits': chain.depositsNative,
    'native network_fees': chain.fees,
  });
  await checkHouseInvariants(app.pool);
}
