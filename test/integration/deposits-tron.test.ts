import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { DepositCrediting } from '../../src/modules/deposits/crediting.js';
import type { TestMerchant } from '../helpers/app.js';
import { checkHouseInvariants } from '../helpers/invariants.js';
import { untilPublished } from '../helpers/outbox.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { tronDepositSteps, useTronApp } from '../helpers/tron.js';
import { liveChannel, untilSubscribed, wsClient } from '../helpers/ws.js';

// TRC20 deposits end to end on the devnet: real signed transfers, the scanner, confirmations, the ledger,
// webhooks and subscriptions.
const t = useTronApp();
const receivers = useReceivers();

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

const { get, balance, mineAndScan } = tronDepositSteps(t);

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
    // The page's deposit.confirmed example byte for byte in its formats: `"amount": 100`, a whole number; the
    // credited Stars and the balance keep two decimals.
    const raw = receiver.received[0]!.body;
    expect(raw).toContain(`"data":{"id":"${d.id}","userId":"payer_1","amount":100,"currency":"USDT",`);
    expect(raw).toMatch(/"stars":100\.00[,}]/);
    expect(raw).toMatch(/"balance":100\.00[,}]/);
  });
});

async function pay(address: string, units: bigint, opts: Parameters<typeof t.devnet.sendUsdt>[2] = {}) {
  return t.devnet.sendUsdt(address, units, opts);
}

async function unexpected(depositId: string) {
  const r = await t.app.pool.query(
    'select asset, amount_minor from unexpected_funds where deposit_id = $1 order by id',
    [depositId],
  );
  return r.rows;
}

describe('payments that are late, short, over or repeated', () => {
  it('expires an unpaid deposit with deposit.failed, and still credits a late payment, flagged', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'late_user', 10);
    await t.app.pool.query(`update deposits set expires_at = now() - interval '1 second' where id = $1`, [
      d.id,
    ]);
    expect(await t.app.workers!.scanning.store.expire()).toBeGreaterThanOrEqual(1);
    expect(await get(m, d.id)).toMatchObject({ status: 'expired', failureReason: 'expired' });
    const failed = await t.app.pool.query(
      `select payload from events where type = 'deposit.failed' and payload->>'id' = $1`,
      [d.id],
    );
    expect(failed.rows[0].payload).toMatchObject({ id: d.id, reason: 'expired', userId: 'late_user' });
    await pay(d.depositAddress, 10n * USDT);
    await mineAndScan(1);
    expect((await get(m, d.id)).status).toBe('confirming');
    await mineAndScan(19);
    expect(await get(m, d.id)).toMatchObject({ status: 'confirmed', amountReceived: 10, flags: ['late'] });
    expect(await balance(m, 'late_user')).toBe(10);
  });

  it('credits what arrived for under-, over- and repeated payments', async () => {
    const m = await t.merchant();
    const short = await deposit(m, 'short', 100);
    const over = await deposit(m, 'over', 100);
    const twice = await deposit(m, 'twice', 50);
    await pay(short.depositAddress, 60_500_000n);
    await pay(over.depositAddress, 150n * USDT);
    await pay(twice.depositAddress, 50n * USDT);
    await mineAndScan(1);
    await pay(twice.depositAddress, 25n * USDT);
    await mineAndScan(25);
    expect(await get(m, short.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 60.5,
      flags: ['underpaid'],
    });
    expect(await get(m, over.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 150,
      flags: ['overpaid'],
    });
    expect(await get(m, twice.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 75,
      flags: ['multiple', 'overpaid'],
    });
    expect([await balance(m, 'short'), await balance(m, 'over'), await balance(m, 'twice')]).toEqual([
      60.5, 150, 75,
    ]);
    const rows = (await t.request({ url: '/api/v1/transactions?userId=twice', as: m })).body.data;
    expect(rows.map((r: any) => r.amount)).toEqual([25, 50]);
  });

  it('rounds sub-cent amounts down into Stars at the merchant rate', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'cents', 1);
    await pay(d.depositAddress, 1_239_999n); // 1.239999 USDT → 1.23 Stars at rate 1
    await mineAndScan(20);
    expect(await balance(m, 'cents')).toBe(1.23);
    expect((await get(m, d.id)).amountReceived).toBe(1.239999);
  });
});

describe('what must credit nothing', () => {
  it('ignores reverted and out-of-energy transfers, other tokens, TRX and zero amounts (recording foreign funds)', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'guarded', 5);
    await pay(d.depositAddress, 5n * USDT, { fail: 'REVERT' });
    await pay(d.depositAddress, 5n * USDT, { fail: 'OUT_OF_ENERGY' });
    t.devnet.transferToken(t.devnet.faucet.privateKey, d.depositAddress, 5n * USDT, {
      token: t.devnet.fakeUsdt.address,
    });
    t.devnet.sendTrx(d.depositAddress, 2_000_000n);
    await pay(d.depositAddress, 0n);
    await mineAndScan(25);
    expect(await get(m, d.id)).toMatchObject({ status: 'pending', amountReceived: 0 });
    expect(await balance(m, 'guarded')).toBe(0);
    const funds = await unexpected(d.id);
    expect(funds).toHaveLength(2);
    expect(funds).toEqual(
      expect.arrayContaining([
        { asset: t.devnet.fakeUsdt.address, amount_minor: '5000000' },
        { asset: 'TRX', amount_minor: '2000000' },
      ]),
    );
  });
});

describe('the scanner under failure', () => {
  it('catches up after downtime: 500 blocks holding deposits are all credited, none twice', async () => {
    const m = await t.merchant();
    await mineAndScan(1);
    const deps = [];
    for (let i = 0; i < 20; i++) deps.push(await deposit(m, `down_${i}`, 1));
    for (let b = 0; b < 500; b++) {
      if (b % 25 === 0) await pay(deps[b / 25]!.depositAddress, USDT);
      t.devnet.mine(1);
    }
    const passes = [];
    for (let i = 0; i < 5; i++) passes.push(await t.scan());
    expect(passes[0]!.scannedBlocks).toBeGreaterThanOrEqual(500);
    for (let i = 0; i < 20; i++) expect(await balance(m, `down_${i}`)).toBe(1);
    await mineAndScan(3);
    for (let i = 0; i < 20; i++) expect(await balance(m, `down_${i}`)).toBe(1);
    const credited = await t.app.pool.query(
      `select count(*)::int as n from chain_transfers t join deposits d on d.id = t.deposit_id where d.merchant_id = $1 and t.status = 'credited'`,
      [m.merchantId],
    );
    expect(credited.rows[0].n).toBe(20);
  });

  it('credits racing passes each payment once, several payments of one deposit in one transaction', async () => {
    const m = await t.merchant();
    await mineAndScan(1);
    const deps: { id: string; depositAddress: string }[] = [];
    for (let i = 0; i < 30; i++) deps.push(await deposit(m, `race_${i}`, 3));
    for (const [i, d] of deps.entries()) {
      await pay(d.depositAddress, USDT);
      if (i % 6 === 0) await pay(d.depositAddress, 2n * USDT);
      if (i % 6 === 0) await pay(d.depositAddress, 4n * USDT);
    }
    await mineAndScan(1); // seen, not yet confirmed
    const chain = 'TRC20:test';
    const store = t.app.workers!.scanning.store;
    const seen = (await store.uncredited(chain)).filter((x) => deps.some((d) => d.id === x.deposit_id));
    expect(seen).toHaveLength(40);
    const rows = await t.app.pool.query('select * from deposits where id = any($1)', [deps.map((d) => d.id)]);
    const requests = seen.map((x) => ({
      deposit: rows.rows.find((d) => d.id === x.deposit_id),
      transfer: x,
    }));
    // Two passes of one process and one of another, all at once, over the same payments.
    const head = (await store.cursor(chain))! - 1;
    const here = new DepositCrediting(t.app.services.ledger, t.app.services.merchants, t.app.services.log);
    const there = new DepositCrediting(t.app.services.ledger, t.app.services.merchants, t.app.services.log);
    const outcomes = (
      await Promise.all([
        here.creditMany(requests, head),
        here.creditMany(requests, head),
        there.creditMany(requests, head),
      ])
    ).flat();
    expect(outcomes.filter((o) => o === 'credited')).toHaveLength(40);
    expect(outcomes.filter((o) => o === 'skipped')).toHaveLength(80);
    for (const [i, d] of deps.entries()) {
      const paid = i % 6 === 0 ? 7 : 1;
      expect(await balance(m, `race_${i}`)).toBe(paid);
      expect(await get(m, d.id)).toMatchObject({
        status: 'confirmed',
        amountReceived: paid,
        flags: i % 6 === 0 ? ['multiple', 'overpaid'] : ['underpaid'],
      });
    }
    const events = await t.app.pool.query(
      `select type, count(*)::int as n from events where merchant_id = $1 and type in ('deposit.confirmed', 'deposit.updated')
       and payload->>'status' is distinct from 'confirming' and payload->>'status' is distinct from 'pending' group by type order by type`,
      [m.merchantId],
    );
    expect(events.rows).toEqual([
      { type: 'deposit.confirmed', n: 40 },
      { type: 'deposit.updated', n: 40 },
    ]);
    const confirmed = await t.app.pool.query(
      `select payload->>'amountReceived' as received from events where merchant_id = $1 and type = 'deposit.confirmed'
       and payload->>'id' = $2 order by created_at, id`,
      [m.merchantId, deps[0]!.id],
    );
    // Each payment's event shows the deposit as it stood right after it, in chain order.
    let sum = 0;
    const running = seen
      .filter((x) => x.deposit_id === deps[0]!.id)
      .map((x) => (sum += Number(x.amount_minor) / 1e6));
    expect(running).toHaveLength(3);
    expect(confirmed.rows.map((r) => Number(r.received)).sort((a, b) => a - b)).toEqual(running);
    // The house books took each payment into custody once too, balanced.
    const custody = await t.app.pool.query(
      `select count(*)::int as n, sum(amount)::text as units from house_transactions
       where type = 'deposit' and reference = any($1)`,
      [seen.map((x) => x.tx_hash)],
    );
    expect(custody.rows[0]).toEqual({
      n: 40,
      units: String(seen.reduce((s, x) => s + BigInt(x.amount_minor), 0n)),
    });
    await checkHouseInvariants(t.app.pool);
  });

  it('rolls back a reorg before confirmation and credits the transfer once when it reappears', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'reorged', 7);
    await mineAndScan(2);
    const txid = await pay(d.depositAddress, 7n * USDT);
    await mineAndScan(2);
    expect((await get(m, d.id)).status).toBe('confirming');
    const r = t.devnet.reorg(3, { reincludeTransactions: false });
    expect(r.txids).toContain(txid);
    const pass = await t.scan();
    expect(pass.reorgAt).toBeDefined();
    expect(await get(m, d.id)).toMatchObject({ status: 'pending', confirmations: 0 });
    await mineAndScan(20);
    expect(await balance(m, 'reorged')).toBe(0); // nothing from the orphaned block
    t.devnet.reincludeOrphans();
    await mineAndScan(1);
    expect((await get(m, d.id)).status).toBe('confirming');
    await mineAndScan(20);
    expect(await get(m, d.id)).toMatchObject({ status: 'confirmed', txHash: txid });
    expect(await balance(m, 'reorged')).toBe(7);
  });

  it('delays crediting on node errors (429, 503, {} at the head, slow) but loses nothing', async () => {
    const m = await t.merchant();
    const d = await deposit(m, 'flaky', 3);
    await mineAndScan(1);
    await pay(d.depositAddress, 3n * USDT);
    t.devnet.mine(20);
    const before = await t.app.workers!.scanning.store.cursor('TRC20:test');
    for (const fault of [
      { path: '/wallet/getblockbylimitnext', kind: '429' as const },
      { path: '/wallet/gettransactioninfobyblocknum', kind: '503' as const },
      { path: '/wallet/getnowblock', kind: 'empty' as const },
    ]) {
      t.devnet.injectFault({ ...fault, times: 1 });
      const r = await t.scan();
      expect(r.error).toBeDefined();
      expect(await balance(m, 'flaky')).toBe(0);
    }
    expect(await t.app.workers!.scanning.store.cursor('TRC20:test')).toBe(before);
    t.devnet.injectFault({ path: '/wallet/getblockbylimitnext', kind: 'slow', delayMs: 300, times: 1 });
    await t.scan();
    expect(await balance(m, 'flaky')).toBe(3);
  });
});

describe('live deposit status', () => {
  it('depositUpdated subscribers (with the payment page token) see confirming, each confirmation, then confirmed', async () => {
    const address = await t.app.listen(0, '127.0.0.1');
    const m = await t.merchant();
    const d = await deposit(m, 'watcher', 2);
    const token = new URL(d.paymentUrl).searchParams.get('t')!;
    await untilPublished(t.app.pool, m.merchantId); // the subscription sees only what follows
    const c = wsClient(`${address.replace('http', 'ws')}/graphql`, { token });
    const sub = c.subscribe<any>(
      `subscription($id: ID!) { depositUpdated(id: $id) { id status confirmations requiredConfirmations amountReceived } }`,
      {
        id: d.id,
      },
    );
    const other = await deposit(m, 'someone_else', 2);
    const denied = c.subscribe<any>(`subscription($id: ID!) { depositUpdated(id: $id) { id } }`, {
      id: other.id,
    });
    await eventually(() => denied.errors.length > 0, 3000);
    expect(JSON.stringify(denied.errors)).toContain('forbidden');
    const q = await t.graphql(
      { bearer: token },
      `query($id: ID!) { deposit(id: $id) { status depositAddress } }`,
      { id: d.id },
    );
    expect(q.body.data.deposit).toMatchObject({ status: 'PENDING', depositAddress: d.depositAddress });
    // The token may only watch this deposit (no probe user): wait until its channel is subscribed.
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'deposit', m, d.id));
    await pay(d.depositAddress, 2n * USDT);
    await mineAndScan(1);
    await mineAndScan(18);
    await eventually(() => sub.values.some((v) => v.depositUpdated.status === 'CONFIRMED'), 10_000);
    const statuses = sub.values.map((v) => v.depositUpdated.status);
    expect(statuses[0]).toBe('CONFIRMING');
    expect(statuses.at(-1)).toBe('CONFIRMED');
    expect(
      sub.values.find(
        (v) => v.depositUpdated.status === 'CONFIRMING' && v.depositUpdated.confirmations === 1,
      ),
    ).toBeTruthy();
    expect(sub.values.at(-1).depositUpdated).toMatchObject({
      confirmations: 19,
      requiredConfirmations: 19,
      amountReceived: '2',
    });
    await c.dispose();
  });
});
