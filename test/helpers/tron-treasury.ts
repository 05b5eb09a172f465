import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SweepPolicyInput, TreasuryConfig } from '../../src/config-treasury.js';
import { type Sweeper, type SweepPassResult, TreasuryService } from '../../src/modules/treasury/index.js';
import type { TestMerchant } from './app.js';
import { createTronDeposit, useTronApp } from './tron.js';

export type TronInfo = {
  fee?: number;
  receipt?: {
    energy_usage?: number;
    energy_usage_total?: number;
    energy_fee?: number;
    net_usage?: number;
    result?: string;
  };
};

/**
 * A TRON devnet app that sweeps TRC20 test mode with `policy` from a new hot wallet (`hot`, `hotKey`), with
 * scheduled passes far away (tests drive passes by hand); `seed` adds to the signer's secrets.
 */
export function useSweptTronApp(policy: SweepPolicyInput, seed: Partial<TreasuryConfig['seed']> = {}) {
  const hotKey = randomBytes(32).toString('hex');
  const base = loadConfig();
  const t = useTronApp({
    payouts: { ...base.payouts, monitorMs: 600_000, tronPrivateKey: hotKey },
    treasury: {
      ...base.treasury,
      seed: { ...base.treasury.seed, ...seed },
      signerRole: 'worker',
      sweepIntervalMs: 600_000,
      maxSweepsPerPass: 100,
      policies: { 'TRC20:test': policy },
    },
  });
  return { t, hotKey, hot: TronWeb.address.fromPrivateKey(hotKey) as string };
}

/** Driving TRC20:test's sweeper by hand, and reading the devnet and the house books, for the TRON sweep tests. */
export function tronSweepTools(t: ReturnType<typeof useTronApp>) {
  const sweeper = (): Sweeper => t.app.signer!.sweepers.byChain.get('TRC20:test')!;
  /** One sweep pass, retried while another pass holds the network's lock. */
  async function pass(): Promise<SweepPassResult> {
    for (;;) {
      const r = await sweeper().pass();
      if (!r.skipped) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  const post = async <T>(path: string, body: object): Promise<T> =>
    (
      await fetch(`${t.devnet.url}${path}`, { method: 'POST', body: JSON.stringify(body) })
    ).json() as Promise<T>;
  const info = (id: string) => post<TronInfo>('/wallet/gettransactioninfobyid', { value: id });
  async function books() {
    const rows = await t.app.services.ledger.house.balances({ network: 'TRC20', mode: 'test' });
    return Object.fromEntries(rows.map((r) => [`${r.asset} ${r.code}`, r.balance]));
  }
  /** Sends `amount` of TRX or USDT from the faucet to `to`, mined, and records it as funding of `place`. */
  async function fund(
    place: 'hot' | 'staking' | 'deposits',
    asset: 'native' | 'token',
    to: string,
    amount: bigint,
  ): Promise<void> {
    const txid = asset === 'native' ? t.devnet.sendTrx(to, amount) : t.devnet.sendUsdt(to, amount);
    t.devnet.mine();
    const treasury = new TreasuryService(t.app.services.ledger);
    const input = {
      network: 'TRC20',
      mode: 'test',
      asset,
      to: place,
      amount: String(amount),
      reference: txid,
    };
    expect(await treasury.recordFunding(input)).toBe(true);
  }
  /** `n` deposits of merchant `m`, the i-th paid i + 1 USDT and i units (not yet mined); and their total. */
  async function payDeposits(m: TestMerchant, n: number) {
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
  return { sweeper, pass, post, info, books, fund, payDeposits };
}
