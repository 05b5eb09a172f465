import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reconcileNetwork } from '../../src/modules/treasury/index.js';
import { checkHouseInvariants, checkLedgerInvariants } from '../helpers/invariants.js';
import { houseBooks } from '../helpers/treasury.js';
import { useSweptTronApp } from '../helpers/treasury-tron.js';
import { createTronDeposit } from '../helpers/tron.js';

// Sweeping TRC20 by burning, on the TRON devnet (mainnet's energy price and USDT's dynamic energy): 50 confirmed
// deposits are each sent exactly the TRX their transfer will burn (estimateenergy × the energy price; the first
// TRX creates the account, which the hot wallet pays for, and its free bandwidth carries the transfer), swept to
// the hot wallet and booked, to the sun. A top-up that expires unmined is dead: it is sent again, and only once.

const HOT_KEY = randomBytes(32).toString('hex');
const { t, hot: HOT, sweeper, pass, info, fund, sweepUntil } = useSweptTronApp(HOT_KEY, { threshold: '1' });
const E6 = 1_000_000n;
const N = 50;

const completed = async () =>
  (await t.app.pool.query(`select count(*)::int as n from sweeps where status = 'completed'`)).rows[0]
    .n as number;

describe('TRON sweeps (burning TRX)', () => {
  it('sweeps 50 confirmed TRC20 deposits to zero with exactly the TRX they burn, booked and reconciled', {
    timeout: 180_000,
  }, async () => {
    await fund('native', 10_000_000_000n);
    await fund('token', E6); // the hot wallet holds USDT, so every transfer to it is sized alike
    const m = await t.merchant();
    const deposits = [];
    let total = 0n;
    for (let i = 0; i < N; i++) {
      const d = await createTronDeposit(t, m, `payer${i}`, i + 1);
      t.devnet.sendUsdt(d.depositAddress, BigInt(i + 1) * E6 + BigInt(i));
      total += BigInt(i + 1) * E6 + BigInt(i);
      deposits.push(d);
    }
    t.devnet.mine(19);
    await t.scan();

    // One pass plans all 50 and sends each its top-up (TRON has no batch transfer).
    expect(await pass()).toMatchObject({ planned: N, toppedUp: N });
    await sweepUntil(async () => (await completed()) === N);

    for (const d of deposits) expect(t.devnet.tokenBalance(d.depositAddress)).toBe(0n);
    expect(t.devnet.tokenBalance(HOT)).toBe(total + E6);

    // Exactly the TRX: each sweep burned its whole top-up for the energy estimateenergy said, and nothing is left.
    const sweeps = await t.app.pool.query<{
      topup: string;
      tx_hash: string;
      fee_params: Record<string, string>;
    }>(
      `select s.topup, x.tx_hash, s.fee_params from sweeps s join treasury_transactions x on x.id = s.tx_id`,
    );
    expect(sweeps.rows).toHaveLength(N);
    let fees = 0n;
    for (const s of sweeps.rows) {
      const r = await info(s.tx_hash);
      expect(r.receipt?.result).toBe('SUCCESS');
      expect(String(r.receipt?.energy_usage_total)).toBe(s.fee_params.energy);
      expect(BigInt(s.topup)).toBe(BigInt(s.fee_params.feeLimit!));
      expect(BigInt(r.fee ?? 0)).toBe(BigInt(s.topup));
      fees += BigInt(r.fee ?? 0);
    }
    for (const d of deposits) expect(t.devnet.trxBalance(d.depositAddress)).toBe(0n);
    const topups = await t.app.pool.query<{ tx_hash: string }>(
      `select tx_hash from treasury_transactions where kind = 'topup' and status = 'confirmed'`,
    );
    expect(topups.rows).toHaveLength(N);
    for (const x of topups.rows) {
      const r = await info(x.tx_hash);
      expect(r.fee).toBe(1_100_000); // creating the deposit address's account
      fees += BigInt(r.fee ?? 0);
    }

    const b = await houseBooks(t.app, 'TRC20');
    expect(b['token custody:deposits']).toBe(0n);
    expect(b['token custody:hot']).toBe(total + E6);
    expect(b['native network_fees']).toBe(fees);
    expect(b['native custody:deposits'] ?? 0n).toBe(0n);
    expect(b['native custody:hot']).toBe(t.devnet.trxBalance(HOT));
    // The scanner saw the hot wallet's TRX top-ups land on the (still watched) deposit addresses: ours, not a
    // customer's unexpected funds.
    await t.scan();
    const unexpected = await t.app.pool.query(`select tx_hash from unexpected_funds where asset = 'TRX'`);
    expect(unexpected.rows).toEqual([]);
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('sends a top-up again only once it has expired unmined; the dead one never lands', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'late', 5);
    t.devnet.sendUsdt(d.depositAddress, 5n * E6);
    t.devnet.mine(19);
    await t.scan();
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 });
    const [first] = (
      await t.app.pool.query(
        `select x.tx_hash, x.expires_at from treasury_transactions x join sweeps s on s.topup_tx_id = x.id
                              where s.from_address = $1`,
        [d.depositAddress],
      )
    ).rows;
    // Never mined: the node drops it once it expires; a pass before the solidified head passes it changes nothing.
    t.devnet.advanceTime(120_000);
    await pass();
    expect(
      (await t.app.pool.query('select status from treasury_transactions where tx_hash = $1', [first.tx_hash]))
        .rows[0].status,
    ).toBe('broadcast');
    t.devnet.mine(21);
    const hotBefore = t.devnet.trxBalance(HOT);
    const again = await pass();
    expect(again.toppedUp).toBe(1);
    const txs = await t.app.pool.query<{ status: string; tx_hash: string }>(
      `select status, tx_hash from treasury_transactions where kind = 'topup' and id >= (select id from treasury_transactions where tx_hash = $1) order by id`,
      [first.tx_hash],
    );
    expect(txs.rows.map((x) => x.status)).toEqual(['expired', 'broadcast']);
    await sweepUntil(
      async () => t.devnet.tokenBalance(d.depositAddress) === 0n && (await completed()) === N + 1,
    );
    expect((await info(first.tx_hash)).fee).toBeUndefined();
    const topup = BigInt(
      (await t.app.pool.query('select topup from sweeps where from_address = $1', [d.depositAddress])).rows[0]
        .topup,
    );
    expect(hotBefore - t.devnet.trxBalance(HOT)).toBe(topup + 1_100_000n);
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
  });

  it('TRX a sweep did not burn (the energy factor fell after planning) goes back to the hot wallet, as it pays', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'cheaper', 7);
    const addr = d.depositAddress;
    t.devnet.sendUsdt(addr, 7n * E6);
    t.devnet.mine(19);
    await t.scan();
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 });
    t.devnet.mine();
    t.devnet.setEnergyFactor(t.devnet.usdt.address, 0); // the transfer now needs less than was topped up
    try {
      expect(await pass()).toMatchObject({ signed: 1 });
      await sweepUntil(async () => {
        const r = await t.app.pool.query(
          `select 1 from sweeps where from_address = $1 and kind = 'leftover' and status = 'completed'`,
          [addr],
        );
        return r.rowCount === 1;
      });
    } finally {
      t.devnet.setEnergyFactor(t.devnet.usdt.address, 34_000);
    }
    const rows = await t.app.pool.query<{ kind: string; amount: string; topup: string; tx_hash: string }>(
      `select s.kind, s.amount::text, s.topup::text, x.tx_hash from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.from_address = $1 order by s.created_at`,
      [addr],
    );
    const [sweep, back] = rows.rows;
    const burned = BigInt((await info(sweep!.tx_hash)).fee ?? 0);
    const left = BigInt(sweep!.topup) - burned;
    expect(left).toBeGreaterThan(1_000_000n);
    // the sweep used the day's free bytes, so the transfer back burns its own: what arrives is the rest
    const cost = BigInt((await info(back!.tx_hash)).fee ?? 0);
    expect(cost).toBeGreaterThan(0n);
    expect(BigInt(back!.amount)).toBe(left - cost);
    expect(t.devnet.trxBalance(addr)).toBe(0n);
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
  });
});
