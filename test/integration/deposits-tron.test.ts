import { TronWeb } from 'tronweb';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { useTronApp } from '../helpers/tron.js';

// TRC20 deposits end to end on the devnet: real signed transfers, the scanner, confirmations, the ledger,
// webhooks and subscriptions.
const t = useTronApp();
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

const USDT = 1_000_000n;

async function deposit(m: TestMerchant, userId: string, amount: number | string = 100) {
  const r = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId, amount, currency: 'USDT', network: 'TRC20' },
  });
  expect(r.status).toBe(200);
  return r.body;
}

async function get(m: TestMerchant, id: string) {
  return (await t.request({ url: `/api/v1/deposit/${id}`, as: m })).body;
}

async function balance(m: TestMerchant, userId: string) {
  return (await t.request({ url: `/api/v1/balance/${userId}`, as: m })).body.balance;
}

/** Mines n blocks and runs a scanner pass. */
async function mineAndScan(n = 1) {
  t.devnet.mine(n);
  return t.scan();
}

describe('deposit/create', () => {
  it('answers the page fields with a valid TRON address, unique across 1,000 concurrent creates', async () => {
    const m = await t.merchant();
    const one = await deposit(m, 'user_8a2f', 100);
    expect(one).toMatchObject({ network: 'TRC20', amount: 100, currency: 'USDT', status: 'pending' });
    expect(one.id).toMatch(/^dep_/);
    expect(TronWeb.isAddress(one.depositAddress)).toBe(true);
    expect(one.depositAddress).toMatch(/^T/);
    expect(Date.parse(one.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(one.paymentUrl).toMatch(new RegExp(`/pay/${one.id}\\?t=`));
    const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => deposit(m, `u${i % 37}`, '1.5')));
    const addresses = new Set([one.depositAddress, ...all.map((d) => d.depositAddress)]);
    expect(addresses.size).toBe(1001);
    expect(all.every((d) => TronWeb.isAddress(d.depositAddress))).toBe(true);
    expect((await t.request({ url: '/api/v1/balance/user_8a2f', as: m })).body.balance).toBe(0);
  });

  it('refuses bad input with the right codes', async () => {
    const m = await t.merchant();
    const bad = async (body: Record<string, unknown>) => {
      const r = await t.request({ url: '/api/v1/deposit/create', as: m, body });
      return [r.status, r.body.error?.code, r.body.error?.param];
    };
    const base = { userId: 'u', amount: 10, currency: 'USDT', network: 'TRC20' };
    expect(await bad({ ...base, network: 'DOGE' })).toEqual([400, 'unsupported_network', 'network']);
    expect(await bad({ ...base, network: 'ERC20' })).toEqual([400, 'unsupported_network', 'network']);
    expect(await bad({ ...base, currency: 'BTC' })).toEqual([400, 'invalid_request', 'currency']);
    expect(await bad({ ...base, amount: '1.0000001' })).toEqual([400, 'invalid_amount', 'amount']);
    expect(await bad({ ...base, amount: 0 })).toEqual([400, 'invalid_amount', 'amount']);
    expect(await bad({ ...base, amout: 1 })).toEqual([400, 'invalid_request', 'amout']);
    const live = await t.merchant('live');
    const r = await t.request({ url: '/api/v1/deposit/create', as: live, body: base });
    expect(r.body.error.code).toBe('unsupported_network');
  });
});

describe('crediting', () => {
  it('credits a simulated payment once, after 19 confirmations, with webhook and live updates', async () => {
    const m = await t.merchant();
    const receiver = await startReceiver();
    receivers.push(receiver);
    await t.app.services.webhooks.create(
      { merchantId: m.merchantId, mode: 'test' },
      { url: receiver.url, events: ['deposit.confirmed'] },
    );
    const d = await deposit(m, 'payer_1', 100);
    const sim = await t.graphql(
      m,
      `mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ... on SimulatedPayment { txHash } ... on Error { code message } } }`,
      { id: d.id },
    );
    expect(sim.body.data.simulateDeposit.__typename).toBe('SimulatedPayment');
    const txHash = sim.body.data.simulateDeposit.txHash;
    await mineAndScan(1);
    expect(await get(m, d.id)).toMatchObject({ status: 'confirming', confirmations: 1, amountReceived: 0 });
    await mineAndScan(17);
    expect(await get(m, d.id)).toMatchObject({ status: 'confirming', confirmations: 18 });
    expect(await balance(m, 'payer_1')).toBe(0);
    await mineAndScan(1);
    const done = await get(m, d.id);
    expect(done).toMatchObject({ status: 'confirmed', amountReceived: 100, txHash, flags: [] });
    expect(await balance(m, 'payer_1')).toBe(100);
    await mineAndScan(5);
    expect(await balance(m, 'payer_1')).toBe(100); // credited once
    const history = (await t.request({ url: '/api/v1/transactions?userId=payer_1', as: m })).body;
    expect(history.data).toHaveLength(1);
    expect(history.data[0]).toMatchObject({
      type: 'deposit',
      amount: 100,
      balanceBefore: 0,
      balanceAfter: 100,
    });
    await eventually(() => receiver.received.length === 1);
    expect(receiver.received[0]!.json).toMatchObject({
      event: 'deposit.confirmed',
      data: {
        id: d.id,
        userId: 'payer_1',
        amount: 100,
        currency: 'USDT',
        network: 'TRC20',
        txHash,
        confirmations: 19,
      },
    });
  });
});
