import { Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import {
  reconcileNetwork,
  Sweeper,
  type SweepPolicy,
  TreasuryService,
} from '../../src/modules/treasury/index.js';
import { fundHot, requestDeposit } from '../helpers/evm.js';
import { checkHouseInvariants, checkLedgerInvariants } from '../helpers/invariants.js';
import { useSweptEvmApp } from '../helpers/treasury.js';

// Sweeping ERC20 on the hardhat devnet with the shipped code paths: 50 confirmed deposits are topped up with
// exactly the gas their transfer needs (one Disperse transaction for all of them, from the hot wallet, nonce from
// the database), swept to the hot wallet, and booked: custody moves from the deposit addresses to the hot wallet,
// every wei of gas burned is a network fee, and the chain holds what the books say. A payment that arrives later
// waits until it is credited, and is then swept with the coin left on the address.

const HOT = Wallet.createRandom();
const { t, sweeper, pass } = useSweptEvmApp(HOT.privateKey, { threshold: '1', disperse: DISPERSE_ADDRESS });
const E6 = 1_000_000n;
const N = 50;

const tokenOf = async (a: string) => (await sweeper().deps.chain.balances(a)).token;
const ethOf = async (a: string) => BigInt(await t.devnet.request<string>('eth_getBalance', [a, 'latest']));
const receipt = (hash: string) =>
  t.devnet.request<{ gasUsed: string; effectiveGasPrice: string; status: string }>(
    'eth_getTransactionReceipt',
    [hash],
  );

async function books() {
  const rows = await t.app.services.ledger.house.balances({ network: 'ERC20', mode: 'test' });
  return Object.fromEntries(rows.map((r) => [`${r.asset} ${r.code}`, r.balance]));
}

/** Sweep passes, a block mined between them (12 at a time once transactions wait for depth), until `done`. */
async function sweepUntil(done: () => Promise<boolean>) {
  for (let i = 0; i < 20; i++) {
    await pass();
    if (await done()) return;
    await t.devnet.mine(i < 2 ? 1 : 12);
  }
  throw new Error('sweeps did not finish');
}

const sweepsDone = async (n: number) => {
  const r = await t.app.pool.query(`select count(*)::int as n from sweeps where status = 'completed'`);
  return r.rows[0].n >= n;
};

describe('EVM sweeps', () => {
  it('sweeps 50 confirmed ERC20 deposits to zero, with exact gas top-ups booked as fees and reconciled books', {
    timeout: 180_000,
  }, async () => {
    // Ops funds the hot wallet with gas and records it, so the books know the coin is there.
    await fundHot(t, HOT.address, 10n ** 19n);

    const m = await t.merchant();
    const deposits = [];
    let total = 0n;
    for (let i = 0; i < N; i++) {
      const d = await requestDeposit(t, m, `payer${i}`, 'ERC20', String(i + 1));
      await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, BigInt(i + 1) * E6 + BigInt(i));
      total += BigInt(i + 1) * E6 + BigInt(i);
      deposits.push(d);
    }
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    const credited = await t.app.pool.query(
      `select count(*)::int as n from deposits where id = any($1) and status = 'confirmed'`,
      [deposits.map((d) => d.id)],
    );
    expect(credited.rows[0].n).toBe(N);

    // The hot wallet holds no USDT yet, and a transfer to it costs the most: the first pass sweeps one address
    // (the largest), and the others are sized once it has landed.
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 });
    await sweepUntil(() => sweepsDone(N));

    // Every address is empty of tokens; the hot wallet holds all of them.
    for (const d of deposits) expect(await tokenOf(d.depositAddress)).toBe(0n);
    expect(await tokenOf(HOT.address)).toBe(total);

    // Exactly the gas: each address was given its transfer's estimated gas × the fee cap it is signed with.
    const sweeps = await t.app.pool.query<{
      topup: string;
      tx_hash: string;
      raw_tx: string;
      fee_paid: string;
    }>(
      `select s.topup, x.tx_hash, x.raw_tx, x.fee_paid::text from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.kind = 'sweep'`,
    );
    expect(sweeps.rows).toHaveLength(N);
    let fees = 0n;
    let leftover = 0n;
    for (const s of sweeps.rows) {
      const tx = Transaction.from(s.raw_tx);
      expect(BigInt(s.topup)).toBe(tx.gasLimit * tx.maxFeePerGas!);
      const r = await receipt(s.tx_hash);
      expect(r.status).toBe('0x1');
      // The transfer runs within exactly its estimate; what it used is less by the refund for clearing the
      // address's balance slot (EIP-3529), which stays on the address as the leftover booked below.
      expect(BigInt(r.gasUsed)).toBeLessThanOrEqual(tx.gasLimit);
      expect(BigInt(r.gasUsed)).toBeGreaterThan((tx.gasLimit * 85n) / 100n);
      const paid = BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
      expect(BigInt(s.fee_paid)).toBe(paid);
      fees += paid;
      leftover += BigInt(s.topup) - paid;
      expect(tx.nonce).toBe(0); // each deposit address's first and only transaction
    }
    // Two top-ups from the hot wallet, both through Disperse, with consecutive nonces from the database: the first
    // address alone, then the other 49 in one transaction.
    const topups = await t.app.pool.query<{
      tx_hash: string;
      raw_tx: string;
      nonce: bigint;
      value: string;
      n: number;
    }>(
      `select x.tx_hash, x.raw_tx, x.nonce, x.value, count(s.id)::int as n from treasury_transactions x
       join sweeps s on s.topup_tx_id = x.id where x.kind = 'topup' group by x.id order by x.id`,
    );
    expect(topups.rows.map((r) => r.n)).toEqual([1, N - 1]);
    let topupValue = 0n;
    let topupFees = 0n;
    for (const [i, x] of topups.rows.entries()) {
      const tx = Transaction.from(x.raw_tx);
      expect(tx.to).toBe(DISPERSE_ADDRESS);
      expect(tx.from).toBe(HOT.address);
      expect(x.nonce).toBe(topups.rows[0]!.nonce + BigInt(i));
      const r = await receipt(x.tx_hash);
      topupFees += BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
      topupValue += BigInt(x.value);
    }
    fees += topupFees;
    const hotNonce = await t.app.pool.query('select next_nonce from hot_wallets where address = $1', [
      HOT.address,
    ]);
    expect(hotNonce.rows[0].next_nonce).toBe(topups.rows[1]!.nonce + 1n);

    // The books: custody moved from the addresses to the hot wallet; every fee is booked; Σ chain = books.
    const b = await books();
    expect(b['token custody:deposits']).toBe(0n);
    expect(b['token custody:hot']).toBe(total);
    expect(b['native network_fees']).toBe(fees);
    expect(b['native custody:deposits']).toBe(leftover);
    expect(b['native custody:hot']).toBe(10n ** 19n - topupValue - topupFees);
    expect(await ethOf(HOT.address)).toBe(b['native custody:hot']);
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    expect(checks.find((c) => c.asset === 'token' && c.place === 'hot')?.onChain).toBe(total);
    await checkHouseInvariants(t.app.pool);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });

    // Nothing more to do: another pass plans nothing, signs nothing.
    await t.devnet.mine(12);
    expect(await pass()).toMatchObject({ planned: 0, toppedUp: 0, signed: 0 });
  });

  it('leaves a late payment until it is credited, then sweeps it with the coin left on the address', {
    timeout: 60_000,
  }, async () => {
    const [d] = (
      await t.app.pool.query<{ address: string; id: string }>(
        `select d.address, d.id from deposits d join sweeps s on s.from_address = d.address
         where s.status = 'completed' order by d.id limit 1`,
      )
    ).rows;
    const before = await ethOf(d!.address);
    await t.devnet.sendToken(t.devnet.usdt6, d!.address, 2n * E6);
    await t.scan('ERC20:test');
    // Seen, not confirmed: not ours to move yet.
    expect(await pass()).toMatchObject({ planned: 0 });
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    const planned = await pass();
    expect(planned.planned).toBe(1);
    const row = await t.app.pool.query<{ amount: string; topup: string; fee_params: Record<string, string> }>(
      `select amount, topup, fee_params from sweeps where from_address = $1 and status <> 'completed'`,
      [d!.address],
    );
    expect(row.rows[0]!.amount).toBe(String(2n * E6));
    // Only what the leftover does not cover is topped up.
    const need = BigInt(row.rows[0]!.fee_params.maxCost!);
    expect(before).toBeGreaterThan(0n);
    expect(BigInt(row.rows[0]!.topup)).toBe(need > before ? need - before : 0n);
    await sweepUntil(async () => (await tokenOf(d!.address)) === 0n && (await sweepsDone(N + 1)));
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
  });

  it('sweeps small balances only while the hot wallet is below its target, and moves its excess above the ceiling to cold', {
    timeout: 60_000,
  }, async () => {
    const cold = Wallet.createRandom().address;
    const policy: SweepPolicy = {
      threshold: 100n * E6,
      hotTarget: null,
      hotCeiling: null,
      cold: null,
      disperse: DISPERSE_ADDRESS,
    };
    const custom = (p: Partial<SweepPolicy>) =>
      new Sweeper({ ...sweeper().deps, policy: { ...policy, ...p } });
    const run = async (sw: Sweeper) => {
      for (;;) {
        const r = await sw.pass();
        if (!r.skipped) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    const m = await t.merchant();
    const small = [
      await requestDeposit(t, m, 'small1', 'ERC20', '3'),
      await requestDeposit(t, m, 'small2', 'ERC20', '4'),
    ];
    for (const [i, d] of small.entries())
      await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, BigInt(i + 3) * E6);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    const hot = await tokenOf(HOT.address);
    // Below the threshold and the hot wallet at its target: nothing to do.
    expect(await run(custom({ hotTarget: hot }))).toMatchObject({ planned: 0 });
    // The hot wallet below its target: the small balances are swept too, largest first.
    expect(await run(custom({ hotTarget: hot + 5n * E6 }))).toMatchObject({ planned: 2, toppedUp: 2 });
    await sweepUntil(
      async () =>
        (await tokenOf(small[0]!.depositAddress)) + (await tokenOf(small[1]!.depositAddress)) === 0n,
    );
    await t.devnet.mine(12);
    await pass();
    expect(await tokenOf(HOT.address)).toBe(hot + 7n * E6);

    // Above the ceiling: the excess goes to cold in one transaction from the hot wallet, nonce from the database.
    const ceiling = 1000n * E6;
    const toCold = custom({ hotCeiling: ceiling, cold });
    const nonceBefore = (
      await t.app.pool.query('select next_nonce from hot_wallets where address = $1', [HOT.address])
    ).rows[0].next_nonce as bigint;
    expect(await run(toCold)).toMatchObject({ cold: 1 });
    expect(await run(toCold)).toMatchObject({ cold: 0 }); // one move at a time
    await t.devnet.mine(12);
    await run(toCold);
    const excess = hot + 7n * E6 - ceiling;
    expect(await tokenOf(cold)).toBe(excess);
    expect(await tokenOf(HOT.address)).toBe(ceiling);
    const moved = await t.app.pool.query<{ nonce: bigint; status: string }>(
      `select x.nonce, s.status from sweeps s join treasury_transactions x on x.id = s.tx_id where s.kind = 'cold'`,
    );
    expect(moved.rows).toEqual([{ nonce: nonceBefore, status: 'completed' }]);
    expect(await run(toCold)).toMatchObject({ cold: 0 }); // at the ceiling now
    const b = await books();
    expect(b['token custody:cold']).toBe(excess);
    expect(b['token custody:hot']).toBe(ceiling);
    const checks = await reconcileNetwork(toCold.deps);
    expect(checks.find((c) => c.place === 'cold')).toMatchObject({ onChain: excess, difference: 0n });
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    await checkHouseInvariants(t.app.pool);
  });

  it('reconciles: ok, in flight while a sweep settles, a mismatch alert for coins nobody recorded', {
    timeout: 60_000,
  }, async () => {
    const { token: admin } = await t.app.services.tokens.issueAdmin(300, 'ops');
    const OPS = `{ ops { treasury { network mode sweepsOpen fees24hBaseUnits custody { asset place balanceBaseUnits }
      reconciliation { status alert differences { asset place onChainBaseUnits booksBaseUnits differenceBaseUnits addresses } } } } }`;
    const erc20 = async () =>
      (await t.graphql({ bearer: admin }, OPS)).body.data.ops.treasury.find(
        (n: { network: string; mode: string }) => n.network === 'ERC20' && n.mode === 'TEST',
      );
    const metric = async () => {
      const r = await t.app.server.inject({ url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
      return /novapay_treasury_reconciliation_mismatch\{network="ERC20",mode="test"\} (\d)/.exec(r.body)?.[1];
    };
    await t.devnet.mine(12);
    await pass();
    expect(await sweeper().reconcile()).toMatchObject({ status: 'ok', alert: null });
    const ok = await erc20();
    expect(ok.reconciliation).toMatchObject({ status: 'OK', differences: [] });
    expect(ok.custody).toContainEqual({ asset: 'token', place: 'deposits', balanceBaseUnits: '0' });
    expect(BigInt(ok.fees24hBaseUnits)).toBeGreaterThan(0n);
    expect(await metric()).toBe('0');

    // A sweep under way: its top-up is in a block but not deep enough to be booked. The chain and the books
    // differ, but something is moving: no alert.
    const m = await t.merchant();
    const d = await requestDeposit(t, m, 'moving', 'ERC20', '9');
    await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, 9n * E6);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 });
    const moving = await sweeper().reconcile();
    expect(moving?.status).toBe('in_flight');
    expect(moving?.checks.filter((c) => c.difference !== 0n).map((c) => `${c.asset} ${c.place}`)).toEqual([
      'native deposits',
      'native hot',
    ]);
    const settled = async () =>
      (
        await t.app.pool.query(
          `select count(*)::int as n from treasury_transactions where status in ('signed', 'broadcast', 'mined')`,
        )
      ).rows[0].n === 0;
    await sweepUntil(async () => (await tokenOf(d.depositAddress)) === 0n && (await settled()));
    expect(await sweeper().reconcile()).toMatchObject({ status: 'ok' });

    // Someone sends the hot wallet USDT and nobody records it: with nothing moving, that is the alert.
    const stray = await t.devnet.sendToken(t.devnet.usdt6, HOT.address, 5n * E6);
    const rec = await sweeper().reconcile();
    expect(rec?.status).toBe('mismatch');
    expect(rec?.alert).toContain('ERC20:test token hot');
    expect(rec?.alert).toContain('(+5000000)');
    const bad = await erc20();
    expect(bad.reconciliation.status).toBe('MISMATCH');
    expect(bad.reconciliation.differences).toEqual([
      expect.objectContaining({ asset: 'token', place: 'hot', differenceBaseUnits: '5000000' }),
    ]);
    expect(await metric()).toBe('1');
    // Recorded as funding, the books explain it again.
    await new TreasuryService(t.app.services.ledger).recordFunding({
      network: 'ERC20',
      mode: 'test',
      asset: 'token',
      to: 'hot',
      amount: '5000000',
      reference: stray,
    });
    expect(await sweeper().reconcile()).toMatchObject({ status: 'ok' });
    expect(await metric()).toBe('0');
  });
});
