import { Contract, JsonRpcProvider, Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { TestMerchant } from '../helpers/app.js';
import { useEvmApp } from '../helpers/evm.js';
import { eventually } from '../helpers/receiver.js';
import { payoutOnce } from '../helpers/scan.js';

// EVM payouts on the local hardhat node: nonces come from the database (100 approvals → 100 consecutive
// nonces, all mined), a stuck transaction is replaced with the same nonce and ≥ 10 % higher fees and only one
// of the two lands, and a wallet without gas keeps its payouts waiting with an alert.

const HOT = Wallet.createRandom();
const t = useEvmApp({
  payouts: {
    ...loadConfig().payouts,
    monitorMs: 600_000,
    evmPrivateKey: HOT.privateKey,
    evmReplaceAfterMs: 300,
  },
});
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } } }`;
const W = `query($id: ID!) { withdrawal(id: $id) { status payoutState txHash confirmations audit { action } } }`;

async function balanceOf(token: string, address: string): Promise<bigint> {
  const p = new JsonRpcProvider(t.devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const c = new Contract(token, ['function balanceOf(address) view returns (uint256)'], p);
    return (await (c.balanceOf as (a: string) => Promise<bigint>)(address)) as bigint;
  } finally {
    p.destroy();
  }
}

async function withdrawal(m: TestMerchant, user: string, amount: number, to: string, network = 'ERC20') {
  await t.credit(m, user, String(amount));
  const r = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: user, amount, walletAddress: to, network },
  });
  expect(r.status).toBe(200);
  return r.body.id as string;
}

async function approve(id: string) {
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  return (await t.graphql({ bearer: token }, APPROVE, { id })).body.data.approveWithdrawal;
}

const view = async (m: TestMerchant, id: string) => (await t.graphql(m, W, { id })).body.data.withdrawal;
let funded = false;
async function fundHot() {
  if (funded) return;
  funded = true;
  await t.devnet.sendToken(t.devnet.usdt6, HOT.address, 10_000_000n * 10n ** 6n);
  await t.devnet.sendToken(t.devnet.usdt18, HOT.address, 1_000n * 10n ** 18n);
  await t.devnet.sendEth(HOT.address, 10n ** 20n);
}

describe('EVM payouts', () => {
  it('pays USDT on ERC20 (6 decimals) and BEP20 (18 decimals) to the wallet', async () => {
    await fundHot();
    const m = await t.merchant();
    const a = Wallet.createRandom().address;
    const b = Wallet.createRandom().address;
    const ids = [await withdrawal(m, 'e', 100, a), await withdrawal(m, 'b', 100, b, 'BEP20')];
    for (const id of ids) expect((await approve(id)).status).toBe('APPROVED');
    await payoutOnce(t.app); // automine: both are in blocks at once
    await t.devnet.mine(12);
    await payoutOnce(t.app);
    for (const id of ids)
      expect(await view(m, id)).toMatchObject({ status: 'COMPLETED', payoutState: 'COMPLETED' });
    expect(await balanceOf(t.devnet.usdt6.address, a)).toBe(94_000_000n);
    expect(await balanceOf(t.devnet.usdt18.address, b)).toBe(94n * 10n ** 18n);
  });

  it('100 withdrawals approved at once get 100 consecutive nonces, all mined', async () => {
    await fundHot();
    const m = await t.merchant();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await withdrawal(m, `u${i}`, 20, Wallet.createRandom().address));
    const results = await Promise.all(ids.map(approve));
    expect(results.every((r) => r.status === 'APPROVED')).toBe(true);
    for (let i = 0; i < 5; i++) {
      await payoutOnce(t.app);
      const left = await t.app.pool.query(
        `select count(*)::int as n from withdrawals where id = any($1) and status = 'approved'`,
        [ids],
      );
      if (left.rows[0].n === 0) break;
    }
    await t.devnet.mine(12);
    await payoutOnce(t.app);
    const rows = await t.app.pool.query<{ payout_nonce: bigint; status: string }>(
      'select payout_nonce, status from withdrawals where id = any($1) order by payout_nonce',
      [ids],
    );
    const nonces = rows.rows.map((r) => Number(r.payout_nonce));
    expect(new Set(nonces).size).toBe(100);
    expect(nonces.at(-1)! - nonces[0]!).toBe(99);
    expect(rows.rows.every((r) => r.status === 'completed')).toBe(true);
    const txs = await t.app.pool.query<{ raw_tx: string; status: string }>(
      'select raw_tx, status from payout_transactions where withdrawal_id = any($1)',
      [ids],
    );
    expect(txs.rows).toHaveLength(100);
    expect(txs.rows.every((r) => r.status === 'mined')).toBe(true);
    expect(new Set(txs.rows.map((r) => Transaction.from(r.raw_tx).nonce)).size).toBe(100);
    const chainNonce = await t.devnet.request<string>('eth_getTransactionCount', [HOT.address, 'latest']);
    expect(Number(chainNonce)).toBe(nonces.at(-1)! + 1);
  });

  it('replaces a stuck transaction with the same nonce and higher fees; exactly one lands', async () => {
    await fundHot();
    const m = await t.merchant();
    const to = Wallet.createRandom().address;
    const id = await withdrawal(m, 'stuck', 50, to);
    await t.devnet.setAutomine(false);
    try {
      await approve(id);
      await payoutOnce(t.app);
      expect(await view(m, id)).toMatchObject({ payoutState: 'BROADCAST' });
      // Replacement is due once the transaction is older than PAYOUT_EVM_REPLACE_AFTER (300 ms here), by the
      // processor's own measure: now minus its created_at.
      const sent = await t.app.pool.query<{ created_at: Date }>(
        'select created_at from payout_transactions where withdrawal_id = $1 order by id desc limit 1',
        [id],
      );
      const due = sent.rows[0]!.created_at.getTime() + t.app.config.payouts.evmReplaceAfterMs;
      await eventually(() => Date.now() > due, 10_000, 10);
      await payoutOnce(t.app); // past PAYOUT_EVM_REPLACE_AFTER: replaced
      const txs = await t.app.pool.query<{ raw_tx: string; tx_hash: string }>(
        'select raw_tx, tx_hash from payout_transactions where withdrawal_id = $1 order by id',
        [id],
      );
      expect(txs.rows.length).toBeGreaterThanOrEqual(2);
      const signed = txs.rows.map((x) => Transaction.from(x.raw_tx));
      for (const [i, tx] of signed.entries()) {
        if (i === 0) continue;
        const prev = signed[i - 1]!;
        expect(tx.nonce).toBe(prev.nonce);
        expect(tx.maxFeePerGas! * 100n).toBeGreaterThanOrEqual(prev.maxFeePerGas! * 110n);
        expect(tx.maxPriorityFeePerGas! * 100n).toBeGreaterThanOrEqual(prev.maxPriorityFeePerGas! * 110n);
      }
      await t.devnet.mine(12);
    } finally {
      await t.devnet.setAutomine(true);
    }
    await payoutOnce(t.app);
    const done = await view(m, id);
    expect(done).toMatchObject({ status: 'COMPLETED' });
    expect(done.audit.map((a: { action: string }) => a.action)).toContain('replaced');
    const statuses = await t.app.pool.query(
      'select status from payout_transactions where withdrawal_id = $1 order by id',
      [id],
    );
    const final = statuses.rows.map((x) => x.status);
    expect(final.filter((s) => s === 'mined')).toHaveLength(1);
    expect(final.filter((s) => s !== 'mined').every((s) => s === 'replaced')).toBe(true);
    expect(await balanceOf(t.devnet.usdt6.address, to)).toBe(47_000_000n);
  });

  it('keeps a payout waiting with an alert while the wallet has no gas, then sends it', async () => {
    await fundHot();
    const m = await t.merchant();
    const to = Wallet.createRandom().address;
    const id = await withdrawal(m, 'nogas', 30, to);
    const wei = await t.devnet.request<string>('eth_getBalance', [HOT.address, 'latest']);
    await t.devnet.request('hardhat_setBalance', [HOT.address, '0x0']);
    try {
      await approve(id);
      const [r] = await payoutOnce(t.app);
      expect(r).toMatchObject({ sent: 0, waiting: 1 });
      const w = (
        await t.graphql(m, `query($id: ID!) { withdrawal(id: $id) { status waitingReason } }`, { id })
      ).body.data.withdrawal;
      expect(w.status).toBe('APPROVED');
      expect(w.waitingReason).toContain('for fees');
      const alert = await t.app.pool.query('select alert from hot_wallets where address = $1', [HOT.address]);
      expect(alert.rows[0].alert).toContain('for fees');
    } finally {
      await t.devnet.request('hardhat_setBalance', [HOT.address, wei]);
    }
    await payoutOnce(t.app);
    await t.devnet.mine(12);
    await payoutOnce(t.app);
    expect(await view(m, id)).toMatchObject({ status: 'COMPLETED' });
    expect(await balanceOf(t.devnet.usdt6.address, to)).toBe(28_200_000n);
  });
});
