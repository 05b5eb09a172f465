import { describe, expect, it } from 'vitest';
import { DepositCrediting } from '../../src/modules/deposits/crediting.js';
import type { TestMerchant } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';
import { createTronDeposit, tronDepositSteps, useTronApp } from '../helpers/tron.js';

// A merchant may set its rate to 0 Stars per USDT while deposits it took at another rate are still paid. A
// payment is never credited 0 Stars for that: it waits uncredited (its deposit confirming) while the rate is 0,
// and is credited at the rate in force once the rate is set again, by a later pass of the same scanner
// (docs/deposits.md "Crediting"). The log says so once per outage per merchant.
const { log, lines } = capturedLog<{ level: number; msg: string; merchantId?: string; waiting?: number }>();
const t = useTronApp({}, 'all', { logger: log });
const { get, balance, mineAndScan } = tronDepositSteps(t);

const USDT = 1_000_000n;
const WAITING = "a merchant's rate is 0 Stars per USDT: its confirmed deposit payments wait uncredited";
const RESUMED = "a merchant's rate is set again: crediting its deposit payments that waited";

const setRate = (m: TestMerchant, starsPerUsdt: string) =>
  t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt });

async function transfers(depositId: string) {
  const r = await t.app.pool.query(
    'select status, credited_stars_minor::text as stars from chain_transfers where deposit_id = $1 order by id',
    [depositId],
  );
  return r.rows;
}

/** The /metrics gauge of payments waiting for a rate (ops look there). */
async function waitingGauge(): Promise<number> {
  const { token } = await t.app.services.tokens.issueAdmin(60, 'ops');
  const scrape = await t.app.server.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${token}` },
  });
  const line = /^novapay_deposit_payments_waiting_for_rate (\d+)$/m.exec(scrape.body);
  expect(line).not.toBeNull();
  return Number(line![1]);
}

const logged = (msg: string, m: TestMerchant) =>
  lines.filter((l) => l.msg === msg && l.merchantId === m.merchantId);

describe('a payment while the merchant rate is 0', () => {
  it('waits uncredited, then is credited once at the rate set again; other merchants are credited meanwhile', async () => {
    const m = await t.merchant();
    const other = await t.merchant();
    await setRate(m, '10');
    await setRate(other, '10');
    const d = await createTronDeposit(t, m, 'rate_zero', 100);
    const o = await createTronDeposit(t, other, 'rate_ten', 100);
    await setRate(m, '0');
    await t.devnet.sendUsdt(d.depositAddress, 100n * USDT);
    await t.devnet.sendUsdt(o.depositAddress, 100n * USDT);
    await mineAndScan(25); // confirmed (19 needed)
    await mineAndScan(1);
    expect(await balance(m, 'rate_zero')).toBe(0);
    expect(await transfers(d.id)).toEqual([{ status: 'seen', stars: null }]);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirming',
      amountReceived: 0,
      amountConfirming: 100,
    });
    expect(await balance(other, 'rate_ten')).toBe(1000);
    const warned = logged(WAITING, m);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, waiting: 1 });
    expect(logged(RESUMED, m)).toHaveLength(0);
    expect(await waitingGauge()).toBe(1);

    await setRate(m, '10');
    await mineAndScan(1);
    expect(await balance(m, 'rate_zero')).toBe(1000);
    expect(await transfers(d.id)).toEqual([{ status: 'credited', stars: '100000' }]);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 100,
      amountConfirming: 0,
    });
    await mineAndScan(1);
    expect(await balance(m, 'rate_zero')).toBe(1000); // once
    expect(await waitingGauge()).toBe(0);
    const history = (await t.request({ url: '/api/v1/transactions?userId=rate_zero', as: m })).body.data;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ type: 'deposit', amount: 1000 });
    expect(logged(WAITING, m)).toHaveLength(1);
    expect(logged(RESUMED, m)).toHaveLength(1);
    expect(logged(RESUMED, m)[0]).toMatchObject({ level: 30 });

    // A second outage is a second run: one more warning.
    const again = await createTronDeposit(t, m, 'rate_zero', 5);
    await setRate(m, '0');
    await t.devnet.sendUsdt(again.depositAddress, 5n * USDT);
    await mineAndScan(25);
    expect(await transfers(again.id)).toEqual([{ status: 'seen', stars: null }]);
    expect(logged(WAITING, m)).toHaveLength(2);
  });

  it('leaves a payment waiting when the rate became 0 after the pass chose it', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'raced', 3);
    await t.devnet.sendUsdt(d.depositAddress, 3n * USDT);
    await mineAndScan(1); // seen, not confirmed
    const chain = 'TRC20:test';
    const [transfer] = (await t.app.workers!.scanning.store.uncredited(chain)).filter(
      (x) => x.deposit_id === d.id,
    );
    const row = await t.app.pool.query('select * from deposits where id = $1', [d.id]);
    await setRate(m, '0');
    const crediting = new DepositCrediting(
      t.app.services.ledger,
      t.app.services.merchants,
      t.app.services.log,
    );
    const head = (await t.app.workers!.scanning.store.cursor(chain))! + 30;
    expect(await crediting.creditMany([{ deposit: row.rows[0], transfer: transfer! }], head)).toEqual([
      'waiting',
    ]);
    expect(await transfers(d.id)).toEqual([{ status: 'seen', stars: null }]);
    expect(await balance(m, 'raced')).toBe(0);
    await setRate(m, '2');
    await mineAndScan(25);
    expect(await transfers(d.id)).toEqual([{ status: 'credited', stars: '600' }]);
    expect(await balance(m, 'raced')).toBe(6);
  });

  it('keeps dust at a non-zero rate as it was: recorded credited, nothing posted', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'dust', 1);
    await t.devnet.sendUsdt(d.depositAddress, 9_999n); // 0.009999 USDT at rate 1: under 0.01 Star
    await mineAndScan(25);
    expect(await transfers(d.id)).toEqual([{ status: 'credited', stars: '0' }]);
    expect(await balance(m, 'dust')).toBe(0);
    expect(logged(WAITING, m)).toHaveLength(0);
  });
});
