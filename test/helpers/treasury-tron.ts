import { TronWeb } from 'tronweb';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SweepPolicyInput, TreasuryConfig } from '../../src/config-treasury.js';
import type { TronDevnet } from '../../src/devnet/tron/index.js';
import { type Sweeper, TreasuryService } from '../../src/modules/treasury/index.js';
import type { TestContext, TestMerchant } from './app.js';
import { passOf } from './treasury.js';
import { createTronDeposit, useTronApp } from './tron.js';

// The TRON twin of useSweptEvmApp: a TRON devnet app that sweeps TRC20 test mode (burning TRX), and what its tests
// read on the node.

/** gettransactioninfobyid as the node prints it (the fields the treasury's tests read). */
export interface TronInfo {
  id?: string;
  fee?: number;
  contractResult?: string[];
  receipt?: {
    energy_usage?: number;
    energy_usage_total?: number;
    energy_fee?: number;
    net_usage?: number;
    net_fee?: number;
    result?: string;
  };
  log?: unknown[];
  result?: string;
  resMessage?: string;
}

/** A `--role signer` process's environment for the TRON devnet: its node and token, the hot wallet, the policy. */
export function tronSignerEnv(
  devnet: TronDevnet,
  hotKey: string,
  policy: SweepPolicyInput,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TRON_TEST_NODE_URL: devnet.url,
    TRC20_TEST_USDT_CONTRACT: devnet.usdt.address,
    TRC20_CONFIRMATIONS: '19',
    PAYOUT_TRON_PRIVATE_KEY: hotKey,
    SWEEP_POLICY: JSON.stringify({ 'TRC20:test': policy }),
    ...extra,
  };
}

/** Ops sends the hot wallet TRX or USDT from the faucet (mined) and records it as funding (capital → custody:hot). */
export function fundTronHot(
  t: TestContext & { devnet: TronDevnet },
  hot: string,
  asset: 'native' | 'token',
  amount: bigint,
): Promise<void> {
  return fundTron(t, 'hot', hot, asset, amount);
}

/** Ops sends `address` TRX or USDT from the faucet (mined) and records it as funding of `place` (capital → custody:…). */
export async function fundTron(
  t: TestContext & { devnet: TronDevnet },
  place: 'hot' | 'staking' | 'deposits',
  address: string,
  asset: 'native' | 'token',
  amount: bigint,
): Promise<void> {
  const txid = asset === 'native' ? t.devnet.sendTrx(address, amount) : t.devnet.sendUsdt(address, amount);
  t.devnet.mine();
  const treasury = new TreasuryService(t.app.services.ledger);
  expect(
    await treasury.recordFunding({
      network: 'TRC20',
      mode: 'test',
      asset,
      to: place,
      amount: String(amount),
      reference: txid,
    }),
  ).toBe(true);
}

/** `n` TRC20 deposits of merchant `m`, the i-th paid i + 1 USDT and i units (not yet mined); and their total. */
export async function payTronDeposits(t: TestContext & { devnet: TronDevnet }, m: TestMerchant, n: number) {
  const deposits: { id: string; depositAddress: string }[] = [];
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const d = await createTronDeposit(t, m, `payer${i}`, i + 1);
    const units = BigInt(i + 1) * 1_000_000n + BigInt(i);
    t.devnet.sendUsdt(d.depositAddress, units);
    total += units;
    deposits.push(d);
  }
  return { deposits, total };
}

/**
 * A TRON devnet app that sweeps TRC20 test mode with `policy`, `hotKey` (hex) as its hot wallet, and scheduled
 * passes far away (tests drive passes with `pass`); `seed` adds to the signer's secrets (the staking key).
 */
export function useSweptTronApp(
  hotKey: string,
  policy: SweepPolicyInput,
  seed: Partial<TreasuryConfig['seed']> = {},
  opts: { gate?: boolean } = {},
) {
  const base = loadConfig();
  const t = useTronApp(
    {
      payouts: { ...base.payouts, monitorMs: 600_000, tronPrivateKey: hotKey },
      treasury: {
        ...base.treasury,
        seed: { ...base.treasury.seed, ...seed },
        signerRole: 'worker',
        sweepIntervalMs: 600_000,
        maxSweepsPerPass: 100,
        policies: { 'TRC20:test': policy },
      },
    },
    'all',
    opts,
  );
  const hot = TronWeb.address.fromPrivateKey(hotKey) as string;
  const sweeper = (): Sweeper => t.app.signer!.sweepers.byChain.get('TRC20:test')!;
  const pass = () => passOf(sweeper());
  const post = async <T>(path: string, body: object): Promise<T> =>
    (
      await fetch(`${t.devnet.url}${path}`, { method: 'POST', body: JSON.stringify(body) })
    ).json() as Promise<T>;
  const info = (txid: string) => post<TronInfo>('/wallet/gettransactioninfobyid', { value: txid });
  const fund = (asset: 'native' | 'token', amount: bigint) => fundTronHot(t, hot, asset, amount);
  /** Sweep passes, a block mined between them (19 at a time once transactions wait for depth), until `done`. */
  async function sweepUntil(done: () => Promise<boolean>) {
    for (let i = 0; i < 20; i++) {
      await pass();
      if (await done()) return;
      t.devnet.mine(i < 3 ? 1 : 19);
    }
    throw new Error('sweeps did not finish');
  }
  return { t, hot, sweeper, pass, post, info, fund, sweepUntil };
}
