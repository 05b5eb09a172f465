import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { TestMerchant } from '../helpers/app.js';
import { untilPublished } from '../helpers/outbox.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { MANUAL_SCAN_CONFIG, payoutOnce } from '../helpers/scan.js';
import { tronTokenBalance, useTronApp } from '../helpers/tron.js';
import { liveChannel, untilSubscribed, wsClient } from '../helpers/ws.js';

// TRC20 payouts on the TRON devnet: approve → signed → broadcast → confirming → completed, with the token
// arriving at the wallet (read back with tronweb), the fee and outflow booked, and payout.completed delivered;
// a transaction failing on chain refunds; a short hot wallet waits with an alert; an expired, never-included
// transaction is replaced by exactly one new one.

const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const t = useTronApp({
  ...MANUAL_SCAN_CONFIG,
  webhookAllowPrivateUrls: true,
  payouts: { ...loadConfig().payouts, monitorMs: 600_000, tronPrivateKey: HOT_KEY },
});
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } ... on Error { code message } } }`;
const WALLET_Q = `query($id: ID!) { withdrawal(id: $id) { status payoutState confirmations txHash waitingReason failureReason audit { action actor } } }`;

const fresh = () => TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;

const tokenBalance = (address: string) => tronTokenBalance(t.devnet, address);

async function fundHot(usdt: bigint, trxSun = 2_000_000_000n) {
  if (usdt > 0n) t.devnet.sendUsdt(HOT, usdt);
  if (trxSun > 0n) t.devnet.sendTrx(HOT, trxSun);
  t.devnet.mine();
}

async function approvedWithdrawal(m: TestMerchant, user: string, amount: number, wallet: string) {
  await t.credit(m, user, String(amount));
  const w = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: user, amount, walletAddress: wallet, network: 'TRC20' },
  });
  expect(w.status).toBe(200);
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  const ok = await t.graphql({ bearer: token }, APPROVE, { id: w.body.id });
  expect(ok.body.data.approveWithdrawal.status).toBe('APPROVED');
  return w.body.id as string;
}

const view = async (m: TestMerchant, id: string) =>
  (await t.graphql(m, WALLET_Q, { id })).body.data.withdrawal;
const balanceOf = async (m: TestMerchant, kind: string, code: string) => {
  const r = await t.app.pool.query<{ b: string }>(
    'select balance_minor::text as b from accounts where merchant_id = $1 and mode = $2 and kind = $3 and code = $4',
    [m.merchantId, 'test', kind, code],
  );
  return r.rows[0]?.b ?? '0';
};

describe('TRC20 payouts', () => {
  it('pays the wallet, books fee and outflow, and delivers payout.completed', async () => {
    await fundHot(10_000_000_000n);
    const m = await t.merchant();
    const receiver = await startReceiver();
    const hook = await t.graphql(
      m,
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename } }`,
      { input: { url: receiver.url, events: ['PAYOUT_COMPLETED'] } },
    );
    expect(hook.body.data.createWebhookEndpoint.__typename).toBe('WebhookEndpointWithSecret');
    const to = fresh();
    const id = await approvedWithdrawal(m, 'payee', 500, to);

    await payoutOnce(t.app);
    const sent = await view(m, id);
    expect(sent).toMatchObject({ status: 'PROCESSING', payoutState: 'BROADCAST' });
    expect(sent.txHash).toMatch(/^[0-9a-f]{64}$/);

    t.devnet.mine();
    await payoutOnce(t.app);
    expect(await view(m, id)).toMatchObject({ payoutState: 'CONFIRMING', confirmations: 1 });
    expect(await tokenBalance(to)).toBe(470_000_000n);

    t.devnet.mine(18);
    await payoutOnce(t.app);
    const done = await view(m, id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      payoutState: 'COMPLETED',
      confirmations: 19,
      txHash: sent.txHash,
    });
    expect(done.audit.map((a: { action: string }) => a.action)).toEqual([
      'created',
      'approved',
      'signed',
      'completed',
    ]);
    expect(await tokenBalance(to)).toBe(470_000_000n);
    expect(await balanceOf(m, 'system', 'payouts_in_flight')).toBe('0');
    expect(await balanceOf(m, 'system', 'fee_revenue')).toBe('3000');
    expect(await balanceOf(m, 'system', 'outflow:TRC20')).toBe('47000');
    const got = await eventually(() => receiver.received.find((r) => r.json.event === 'payout.completed'));
    expect(got!.json.data).toMatchObject({
      id,
      amount: 500,
      fee: 30,
      amountUsdt: 470,
      txHash: sent.txHash,
      walletAddress: to,
    });
    // The merchant-wide REST history lists what touched a user, each row with the page's numbers; the
    // settlement between the merchant's own books (fee revenue, outflow) is not a user's movement.
    const list = await t.request({ url: '/api/v1/transactions?limit=100', as: m });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(list.body.data.length);
    for (const row of list.body.data) {
      expect(row).toMatchObject({
        userId: expect.any(String),
        amount: expect.any(Number),
        balanceBefore: expect.any(Number),
        balanceAfter: expect.any(Number),
      });
    }
    expect(list.body.data.map((r: { type: string }) => r.type)).toEqual(['withdrawal', 'adjustment']);
    const again = await payoutOnce(t.app);
    expect(again[0]).toMatchObject({ sent: 0, completed: 0 });
    await receiver.close();
  });

  it('refunds a transfer that fails on chain, with payout.failed (chain_failed)', async () => {
    await fundHot(1_000_000_000n);
    const m = await t.merchant();
    const id = await approvedWithdrawal(m, 'unlucky', 100, fresh());
    t.devnet.failNextContractCall('REVERT');
    await payoutOnce(t.app);
    t.devnet.mine(19);
    await payoutOnce(t.app);
    expect(await view(m, id)).toMatchObject({
      status: 'FAILED',
      payoutState: 'FAILED',
      failureReason: 'chain_failed',
    });
    const bal = await t.request({ url: '/api/v1/balance/unlucky', as: m });
    expect(bal.body.balance).toBe(100);
    expect(await balanceOf(m, 'system', 'payouts_in_flight')).toBe('0');
    const ev = await t.app.pool.query(
      `select payload from events where type = 'payout.failed' and payload->>'id' = $1`,
      [id],
    );
    expect(ev.rows[0].payload).toMatchObject({ reason: 'chain_failed', amount: 100 });
  });

  it('keeps a payout waiting with an ops alert while the hot wallet is short, then sends it', async () => {
    const before = await tokenBalance(HOT);
    const m = await t.merchant();
    const to = fresh();
    // 100,000 Stars → 94,000 USDT: more than the hot wallet holds.
    await t.app.services.merchants.updateSettings(m.merchantId, {
      withdrawalMaximum: '1000000',
      withdrawalDailyLimit: '1000000',
    });
    const id = await approvedWithdrawal(m, 'whale', 100_000, to);
    const [r] = await payoutOnce(t.app);
    expect(r).toMatchObject({ sent: 0, waiting: 1 });
    const w = await view(m, id);
    expect(w).toMatchObject({ status: 'APPROVED', payoutState: null });
    expect(w.waitingReason).toContain('needs 94000000000');
    const alert = await t.app.pool.query('select alert from hot_wallets where address = $1', [HOT]);
    expect(alert.rows[0].alert).toContain('needs 94000000000');
    const { token } = await t.app.services.tokens.issueAdmin(60, 'ops');
    const ops = (
      await t.graphql(
        { bearer: token },
        '{ ops { queues { name } hotWallets { address family networks alert tokenBalances { network balanceBaseUnits } } } }',
      )
    ).body.data.ops;
    const wallet = ops.hotWallets.find((h: { address: string }) => h.address === HOT);
    expect(wallet).toMatchObject({
      family: 'tron',
      networks: ['TRC20:test'],
      alert: expect.stringContaining('needs'),
    });
    const trc20 = wallet.tokenBalances.find((b: { network: string }) => b.network === 'TRC20');
    expect(BigInt(trc20.balanceBaseUnits)).toBe(before);
    expect(ops.queues.map((q: { name: string }) => q.name)).toContain(`payouts-tron-TRC20-test-${HOT}`);
    const scrape = await t.app.server.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}` },
    });
    const key = `tron:TRC20:test:${HOT}`;
    expect(scrape.body).toContain(`novapay_hot_wallet_alert{wallet="${key}"} 1`);
    expect(scrape.body).toContain(`novapay_hot_wallet_balance{wallet="${key}",asset="TRC20"} ${before}`);
    await fundHot(94_000_000_000n - before + 1n, 0n);
    await payoutOnce(t.app);
    t.devnet.mine(19);
    await payoutOnce(t.app);
    expect(await view(m, id)).toMatchObject({ status: 'COMPLETED', waitingReason: null });
    expect(await tokenBalance(to)).toBe(94_000_000_000n);
    const cleared = await t.app.pool.query('select alert from hot_wallets where address = $1', [HOT]);
    expect(cleared.rows[0].alert).toBeNull();
  });

  it('builds a new transaction only once the first has expired unmined on the solidified chain', async () => {
    await fundHot(1_000_000_000n);
    const m = await t.merchant();
    const to = fresh();
    const id = await approvedWithdrawal(m, 'lost', 50, to);
    // The broadcast never reaches the node.
    const fault = t.devnet.injectFault({ path: '/wallet/broadcasttransaction', kind: '503', times: 1000 });
    await payoutOnce(t.app);
    const first = await view(m, id);
    expect(first.payoutState).toBe('SIGNED');
    await payoutOnce(t.app); // still within its expiration: no second transaction
    const count = async () =>
      (
        await t.app.pool.query(
          'select tx_hash, status from payout_transactions where withdrawal_id = $1 order by id',
          [id],
        )
      ).rows;
    expect(await count()).toHaveLength(1);
    t.devnet.clearFaults(fault);
    t.devnet.advanceTime(120_000);
    t.devnet.mine(20); // the solidified head is now past the expiration, and the transaction is in no block
    await payoutOnce(t.app); // expired → approved again → a new transaction, broadcast
    const txs = await count();
    expect(txs.map((x) => x.status)).toEqual(['expired', 'broadcast']);
    expect(txs[1].tx_hash).not.toBe(first.txHash);
    // The old one can no longer land, even if someone replays it.
    t.devnet.mine(19);
    await payoutOnce(t.app);
    expect(await view(m, id)).toMatchObject({ status: 'COMPLETED', txHash: txs[1].tx_hash });
    expect(await tokenBalance(to)).toBe(47_000_000n);
  });

  it('20 concurrent approvals make one payout; withdrawalUpdated follows every step live', async () => {
    await fundHot(1_000_000_000n);
    const m = await t.merchant();
    const to = fresh();
    await t.credit(m, 'many', '40');
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'many', amount: 40, walletAddress: to, network: 'TRC20' },
    });
    const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
    const address = await t.app.listen(0, '127.0.0.1');
    await untilPublished(t.app.pool, m.merchantId); // the subscription sees only what follows
    const c = wsClient(`${address.replace('http', 'ws')}/graphql`, { token });
    const sub = c.subscribe<any>(
      `subscription($id: ID!) { withdrawalUpdated(id: $id) { id status payoutState confirmations txHash } }`,
      { id: w.body.id },
    );
    // An admin token has no probe user: wait until the withdrawal's channel is subscribed.
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'withdrawal', m, w.body.id));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.graphql({ bearer: token }, APPROVE, { id: w.body.id })),
    );
    const kinds = results.map((r) => r.body.data.approveWithdrawal.__typename);
    expect(kinds.filter((k) => k === 'Withdrawal')).toHaveLength(1);
    await payoutOnce(t.app);
    await payoutOnce(t.app);
    t.devnet.mine(19);
    await payoutOnce(t.app);
    const txs = await t.app.pool.query('select status from payout_transactions where withdrawal_id = $1', [
      w.body.id,
    ]);
    expect(txs.rows).toEqual([{ status: 'mined' }]);
    expect(await tokenBalance(to)).toBe(37_600_000n);
    await eventually(() => sub.values.some((v) => v.withdrawalUpdated.status === 'COMPLETED'));
    const steps = sub.values.map((v) => v.withdrawalUpdated.payoutState ?? v.withdrawalUpdated.status);
    expect(steps).toEqual(['APPROVED', 'SIGNED', 'BROADCAST', 'COMPLETED']);
    sub.stop();
    await c.dispose();
  });
});
