import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { expectReconciled, houseBooks, housePostings } from '../helpers/treasury.js';
import { useSweptTronApp } from '../helpers/treasury-tron.js';
import { createTronDeposit } from '../helpers/tron.js';

// TRON sweeps meeting the chain as it is: a payment that lands on a deposit address while its sweep is planned,
// topped up or signed is left alone (only credited tokens move) and swept by a later sweep once it is credited;
// a sweep that lands FAILED (REVERT, or OUT_OF_ENERGY, which burns its whole fee_limit) is failed, its burned TRX
// booked as a fee, and the address topped up again for what it burned and swept once. The books reconcile.

const HOT_KEY = randomBytes(32).toString('hex');
const { t, hot: HOT, sweeper, pass, info, fund, sweepUntil } = useSweptTronApp(HOT_KEY, { threshold: '1' });
const E6 = 1_000_000n;
const FIXTURES = '/work/shared/fixtures/tron';

interface Sweep {
  amount: string;
  status: string;
  topup: string;
  fee_params: Record<string, string>;
  tx_hash: string | null;
}
const sweepsOf = async (address: string) =>
  (
    await t.app.pool.query<Sweep>(
      `select s.amount, s.status, s.topup, s.fee_params, x.tx_hash from sweeps s
       left join treasury_transactions x on x.id = s.tx_id where s.from_address = $1 order by s.created_at, s.id`,
      [address],
    )
  ).rows;
const completed = async (addresses: string[], each: number) => {
  for (const a of addresses)
    if ((await sweepsOf(a)).filter((s) => s.status === 'completed').length < each) return false;
  return true;
};

let merchant: TestMerchant | undefined;
/** Credited deposits of these amounts, one address each (confirmed and scanned). */
async function creditedDeposits(user: string, amounts: bigint[]): Promise<string[]> {
  merchant ??= await t.merchant();
  const out: string[] = [];
  for (const [i, units] of amounts.entries()) {
    const d = await createTronDeposit(t, merchant, `${user}${i}`, Number(units / E6));
    t.devnet.sendUsdt(d.depositAddress, units);
    out.push(d.depositAddress);
  }
  t.devnet.mine(19);
  await t.scan();
  return out;
}

describe('TRON sweeps racing the chain', () => {
  it('sweeps only what is credited while a payment races the sweep (planned, topped up, signed); a later sweep takes it', {
    timeout: 120_000,
  }, async () => {
    await fund('native', 10_000_000_000n);
    await fund('token', E6);
    const amounts = [30n * E6, 20n * E6, 10n * E6]; // largest first: planned, topped up and signed in this order
    const late = [E6 + 1n, 2n * E6 + 2n, 3n * E6 + 3n];
    const addresses = await creditedDeposits('race', amounts);
    const [planned, toppedUp, signed] = addresses as [string, string, string];

    // Planned: a payment is in a block on the address (seen, not credited) when its sweep is planned.
    t.devnet.sendUsdt(planned, late[0]!);
    t.devnet.mine();
    await t.scan();
    expect(await pass()).toMatchObject({ planned: 3, toppedUp: 3 });
    // Topped up: a payment lands in the block that holds the top-ups, before the sweep is signed.
    t.devnet.sendUsdt(toppedUp, late[1]!);
    t.devnet.mine();
    await t.scan();
    expect(await pass()).toMatchObject({ signed: 3 });
    // Signed: a payment lands in the block that holds the sweep.
    t.devnet.sendUsdt(signed, late[2]!);
    t.devnet.mine();
    await t.scan();

    // Each sweep moves its credited amount, no more; the late payments stay where they landed.
    await sweepUntil(() => completed(addresses, 1));
    for (const [i, a] of addresses.entries()) {
      expect((await sweepsOf(a)).map((s) => `${s.status} ${s.amount}`)).toEqual([`completed ${amounts[i]}`]);
      expect(t.devnet.tokenBalance(a)).toBe(late[i]);
    }
    // Seen, not credited: the chain holds more than the books, and that is a payment on its way, not an alert.
    expect(await sweeper().reconcile()).toMatchObject({ status: 'in_flight', alert: null });

    // Credited once confirmed: a later sweep of each address takes exactly the late payment.
    await t.scan();
    const received = await t.app.pool.query<{ address: string; r: string }>(
      'select address, amount_received_minor::text as r from deposits where address = any($1)',
      [addresses],
    );
    expect(Object.fromEntries(received.rows.map((x) => [x.address, x.r]))).toEqual(
      Object.fromEntries(addresses.map((a, i) => [a, String(amounts[i]! + late[i]!)])),
    );
    await sweepUntil(() => completed(addresses, 2));
    for (const [i, a] of addresses.entries()) {
      expect((await sweepsOf(a)).map((s) => `${s.status} ${s.amount}`)).toEqual([
        `completed ${amounts[i]}`,
        `completed ${late[i]}`,
      ]);
      expect(t.devnet.tokenBalance(a)).toBe(0n);
    }
    const total = [...amounts, ...late].reduce((s, x) => s + x, 0n);
    expect(t.devnet.tokenBalance(HOT)).toBe(E6 + total);
    const b = await houseBooks(t.app, 'TRC20');
    expect(b['token custody:deposits']).toBe(0n);
    expect(b['token custody:hot']).toBe(E6 + total);
    await expectReconciled(sweeper(), t.app.pool);
    await checkLedgerInvariants(t.app.pool, { merchantId: merchant!.merchantId });
  });

  it('fails a sweep that lands REVERT or OUT_OF_ENERGY, books the TRX it burned, tops up for that and sweeps once', {
    timeout: 120_000,
  }, async () => {
    const [reverts, runsOut] = (await creditedDeposits('failing', [40n * E6, 25n * E6])) as [string, string];
    const hotTokens = t.devnet.tokenBalance(HOT);
    expect(await pass()).toMatchObject({ planned: 2, toppedUp: 2 });
    t.devnet.mine(); // the top-ups are in a block
    // The next two contract calls broadcast fail when they run: the sweeps, signed largest first.
    t.devnet.failNextContractCall('REVERT');
    t.devnet.failNextContractCall('OUT_OF_ENERGY');
    expect(await pass()).toMatchObject({ signed: 2 });
    t.devnet.mine();
    const [r1] = await sweepsOf(reverts);
    const [o1] = await sweepsOf(runsOut);
    const ri = await info(r1!.tx_hash!);
    const oi = await info(o1!.tx_hash!);
    expect([ri.result, ri.receipt?.result, ri.log, ri.contractResult]).toEqual([
      'FAILED',
      'REVERT',
      undefined,
      [''],
    ]);
    expect([oi.result, oi.receipt?.result, oi.log]).toEqual(['FAILED', 'OUT_OF_ENERGY', undefined]);
    // Printed as mainnet prints a failed USDT call: the same fields, in the same order.
    const real = JSON.parse(
      readFileSync(`${FIXTURES}/gettransactioninfobyid.usdt-out-of-energy.mainnet.json`, 'utf8'),
    );
    expect(Object.keys(oi)).toEqual(Object.keys(real));
    expect(Object.keys(oi.receipt!)).toEqual(Object.keys(real.receipt));
    // Out of energy burns the whole fee_limit (all the top-up); a revert burns what ran until it.
    expect(BigInt(oi.fee!)).toBe(BigInt(o1!.fee_params.feeLimit!));
    expect(BigInt(o1!.topup)).toBe(BigInt(o1!.fee_params.feeLimit!));
    expect(t.devnet.trxBalance(runsOut)).toBe(0n);
    expect(BigInt(ri.fee!)).toBeGreaterThan(0n);
    expect(BigInt(ri.fee!)).toBeLessThan(BigInt(r1!.topup));
    expect(t.devnet.trxBalance(reverts)).toBe(BigInt(r1!.topup) - BigInt(ri.fee!));
    expect(t.devnet.tokenBalance(reverts)).toBe(40n * E6);
    expect(t.devnet.tokenBalance(runsOut)).toBe(25n * E6);

    // Solidified: both fail, their TRX is booked as fees, and the same pass plans them again, topped up with what
    // the transfer needs less what is left on the address.
    t.devnet.mine(19);
    expect(await pass()).toMatchObject({ failed: 2, planned: 2, toppedUp: 2 });
    for (const [address, first, burned] of [
      [reverts, r1!, BigInt(ri.fee!)],
      [runsOut, o1!, BigInt(oi.fee!)],
    ] as const) {
      const [failed, again] = await sweepsOf(address);
      expect(failed!.status).toBe('failed');
      expect(await housePostings(t.app.pool, first.tx_hash!)).toEqual([
        `fee native custody:deposits→network_fees ${burned}`,
      ]);
      expect(BigInt(again!.topup)).toBe(BigInt(again!.fee_params.maxCost!) - (BigInt(first.topup) - burned));
    }

    await sweepUntil(() => completed([reverts, runsOut], 1));
    for (const a of [reverts, runsOut]) {
      expect((await sweepsOf(a)).map((s) => s.status)).toEqual(['failed', 'completed']);
      expect(t.devnet.tokenBalance(a)).toBe(0n);
    }
    expect(t.devnet.tokenBalance(HOT)).toBe(hotTokens + 65n * E6);
    await expectReconciled(sweeper(), t.app.pool);
  });
});
