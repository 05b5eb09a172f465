import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { secret } from '../../src/lib/secret.js';
import { reconcileNetwork } from '../../src/modules/treasury/index.js';
import { checkHouseInvariants, checkLedgerInvariants } from '../helpers/invariants.js';
import { houseBooks } from '../helpers/treasury.js';
import { fundTron, payTronDeposits, useSweptTronApp } from '../helpers/treasury-tron.js';
import { createTronDeposit } from '../helpers/tron.js';

// Sweeping TRC20 with delegated energy, on the TRON devnet (mainnet's stake weights and USDT's dynamic energy):
// a staking account that froze TRX for ENERGY lends each deposit address exactly the energy estimateenergy says
// its transfer needs, the address (activated with 1 sun when it has no account) sweeps burning nothing, and the
// stake is taken back once the sweep is settled. Leftover TRX on a swept address goes back to the hot wallet
// when that pays. Everything is booked, to the sun, and the books reconcile with the chain.

const STAKE_KEY = randomBytes(32).toString('hex');
const STAKE = TronWeb.address.fromPrivateKey(STAKE_KEY) as string;
const {
  t,
  hot: HOT,
  sweeper,
  pass,
  post,
  info,
  sweepUntil,
} = useSweptTronApp(
  randomBytes(32).toString('hex'),
  { threshold: '1', tronFees: 'delegate', stakingAccount: STAKE },
  { tronStakingKey: secret(STAKE_KEY) },
);
const E6 = 1_000_000n;
const TRX = 1_000_000n;
const N = 30;
const STAKED = 400_000n * TRX;

const fund = (place: 'hot' | 'staking' | 'deposits', asset: 'native' | 'token', to: string, amount: bigint) =>
  fundTron(t, place, to, asset, amount);
const books = () => houseBooks(t.app, 'TRC20');
const account = (address: string) => post<any>('/wallet/getaccount', { address, visible: true });

const count = async (sql: string, params: unknown[] = []) =>
  (await t.app.pool.query(`select count(*)::int as n from ${sql}`, params)).rows[0].n as number;
const settled = async () =>
  (await count(`sweeps where kind = 'sweep' and status not in ('completed', 'failed')`)) === 0 &&
  (await count(`sweeps where delegate_tx_id is not null and undelegate_tx_id is null`)) === 0 &&
  (await count(`treasury_transactions where status in ('signed', 'broadcast', 'mined')`)) === 0 &&
  (await count(`sweeps where kind = 'sweep' and not leftover_checked`)) === 0;

describe('TRON sweeps (delegated energy)', () => {
  it('sweeps 30 TRC20 deposits with energy lent exactly, reclaims every loan, sends leftover TRX back; books reconcile', {
    timeout: 240_000,
  }, async () => {
    await fund('hot', 'native', HOT, 1_000n * TRX);
    await fund('hot', 'token', HOT, E6); // the hot wallet holds USDT, so every transfer to it is sized alike
    await fund('staking', 'native', STAKE, STAKED + 100n * TRX);
    t.devnet.freezeBalance(STAKE_KEY, STAKED, 'ENERGY');
    t.devnet.mine();

    const m = await t.merchant();
    const { deposits, total } = await payTronDeposits(t, m, N);
    // Three customers also sent 5 TRX to their deposit address (recorded by ops): those accounts exist already.
    const withTrx = deposits.slice(0, 3).map((d) => d.depositAddress);
    for (const a of withTrx) await fund('deposits', 'native', a, 5n * TRX);
    t.devnet.mine(19);
    await t.scan();

    // One pass plans all 30: the 27 without an account get 1 sun (the TRX that creates it), the 3 with one
    // get their energy at once.
    expect(await pass()).toMatchObject({ planned: N, toppedUp: N - 3, delegated: 3 });
    await sweepUntil(settled);

    for (const d of deposits) expect(t.devnet.tokenBalance(d.depositAddress)).toBe(0n);
    expect(t.devnet.tokenBalance(HOT)).toBe(total + E6);

    // Every sweep used exactly the energy estimated, all of it lent: nothing burned for energy.
    const sweeps = await t.app.pool.query<{
      from_address: string;
      topup: string;
      fee_params: Record<string, string>;
      tx: string;
    }>(
      `select s.from_address, s.topup, s.fee_params, x.tx_hash as tx from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.kind = 'sweep' and s.status = 'completed'`,
    );
    expect(sweeps.rows).toHaveLength(N);
    for (const s of sweeps.rows) {
      const r = await info(s.tx);
      expect(r.receipt?.result).toBe('SUCCESS');
      expect(String(r.receipt?.energy_usage_total)).toBe(s.fee_params.energy);
      expect(r.receipt?.energy_usage).toBe(r.receipt?.energy_usage_total);
      expect(r.receipt?.energy_fee).toBeUndefined();
      expect(r.fee).toBeUndefined(); // bandwidth from the day's free bytes
      expect(BigInt(s.topup)).toBe(withTrx.includes(s.from_address) ? 0n : 1n);
    }

    // One delegation and one reclaim per sweep, of the same stake; nothing is lent any more.
    const lent = await t.app.pool.query<{ kind: string; value: string; tx_hash: string; status: string }>(
      `select kind, value::text, tx_hash, status from treasury_transactions where kind in ('delegate', 'undelegate') order by id`,
    );
    expect(lent.rows.filter((x) => x.kind === 'delegate')).toHaveLength(N);
    expect(lent.rows.filter((x) => x.kind === 'undelegate')).toHaveLength(N);
    expect(lent.rows.every((x) => x.status === 'confirmed')).toBe(true);
    for (const d of deposits) {
      expect(
        await post('/wallet/getdelegatedresourcev2', {
          fromAddress: STAKE,
          toAddress: d.depositAddress,
          visible: true,
        }),
      ).toEqual({});
      const a = await account(d.depositAddress);
      expect(a.account_resource?.acquired_delegated_frozenV2_balance_for_energy).toBeUndefined();
    }
    const staking = await account(STAKE);
    expect(staking.account_resource?.delegated_frozenV2_balance_for_energy).toBeUndefined();
    expect(staking.frozenV2[1]).toEqual({ type: 'ENERGY', amount: Number(STAKED) });
    expect(
      await post('/wallet/getdelegatedresourceaccountindexv2', { value: STAKE, visible: true }),
    ).not.toHaveProperty('toAccounts');

    // Leftovers: the three 5-TRX addresses sent theirs back (less the bandwidth they burned: their free bytes went
    // to the sweep); the 1 sun of the others is not worth a transfer and stays.
    const back = await t.app.pool.query<{ from_address: string; amount: string; tx_hash: string }>(
      `select s.from_address, s.amount::text, x.tx_hash from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.kind = 'leftover' and s.status = 'completed'`,
    );
    expect(back.rows.map((r) => r.from_address).sort()).toEqual([...withTrx].sort());
    for (const r of back.rows) {
      const fee = BigInt((await info(r.tx_hash)).fee ?? 0);
      expect(fee).toBeGreaterThan(0n);
      expect(BigInt(r.amount) + fee).toBe(5n * TRX);
      expect(t.devnet.trxBalance(r.from_address)).toBe(0n);
    }
    for (const d of deposits.slice(3)) expect(t.devnet.trxBalance(d.depositAddress)).toBe(1n);

    // Books: every fee each receipt shows, from whoever paid it.
    let fees = 0n;
    const all = await t.app.pool.query<{ tx_hash: string }>(
      `select tx_hash from treasury_transactions where status = 'confirmed'`,
    );
    for (const x of all.rows) fees += BigInt((await info(x.tx_hash)).fee ?? 0);
    const b = await books();
    expect(b['token custody:deposits']).toBe(0n);
    expect(b['token custody:hot']).toBe(total + E6);
    expect(b['native network_fees']).toBe(fees);
    expect(b['native custody:deposits']).toBe(BigInt(N - 3));
    expect(b['native custody:hot']).toBe(t.devnet.trxBalance(HOT));
    expect(b['native custody:staking']).toBe(BigInt(staking.balance ?? 0) + STAKED);
    const checks = await reconcileNetwork(sweeper().deps);
    expect(checks.filter((c) => c.difference !== 0n)).toEqual([]);
    expect(checks.some((c) => c.place === 'staking')).toBe(true);
    expect((await sweeper().reconcile())?.status).toBe('ok');
    await checkHouseInvariants(t.app.pool);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('a sweep that reverts with its energy lent is failed and its loan reclaimed (even while paused); the address is swept again with a new loan', {
    timeout: 120_000,
  }, async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'reverts', 5);
    const addr = d.depositAddress;
    t.devnet.sendUsdt(addr, 5n * E6);
    t.devnet.mine(19);
    await t.scan();
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 }); // 1 sun: the account
    t.devnet.mine();
    expect(await pass()).toMatchObject({ delegated: 1 });
    t.devnet.mine();
    t.devnet.failNextContractCall('REVERT');
    expect(await pass()).toMatchObject({ signed: 1 });
    t.devnet.mine(19);
    // Paused: nothing new starts, but the failed sweep's loan is taken back.
    await t.app.pool.query(
      `insert into treasury_controls (chain, network, mode, paused, changed_by) values ('TRC20:test', 'TRC20', 'test', true, 'test')
       on conflict (chain) do update set paused = true`,
    );
    expect(await pass()).toMatchObject({ paused: true, failed: 1, reclaimed: 1, planned: 0 });
    await t.app.pool.query(`update treasury_controls set paused = false where chain = 'TRC20:test'`);
    await sweepUntil(settled);

    const rows = await t.app.pool.query<{ status: string; delegate: string; undelegate: string }>(
      `select s.status, d.status as delegate, u.status as undelegate from sweeps s
       join treasury_transactions d on d.id = s.delegate_tx_id join treasury_transactions u on u.id = s.undelegate_tx_id
       where s.from_address = $1 and s.kind = 'sweep' order by s.created_at`,
      [addr],
    );
    expect(rows.rows).toEqual([
      { status: 'failed', delegate: 'confirmed', undelegate: 'confirmed' },
      { status: 'completed', delegate: 'confirmed', undelegate: 'confirmed' },
    ]);
    expect(t.devnet.tokenBalance(addr)).toBe(0n);
    expect(
      await post('/wallet/getdelegatedresourcev2', { fromAddress: STAKE, toAddress: addr, visible: true }),
    ).toEqual({});
    expect((await account(STAKE)).account_resource?.delegated_frozenV2_balance_for_energy).toBeUndefined();
    expect((await sweeper().reconcile())?.status).toBe('ok');
    await checkHouseInvariants(t.app.pool);
  });

  it('a delegation that expires unmined is signed again, once; the dead one never lands', {
    timeout: 120_000,
  }, async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'late-loan', 6);
    const addr = d.depositAddress;
    t.devnet.sendUsdt(addr, 6n * E6);
    t.devnet.mine(19);
    await t.scan();
    await pass();
    t.devnet.mine();
    expect(await pass()).toMatchObject({ delegated: 1 });
    const loans = () =>
      t.app.pool.query<{ status: string; tx_hash: string }>(
        `select status, tx_hash from treasury_transactions where kind = 'delegate' and fee_params->>'receiver' = $1 order by id`,
        [addr],
      );
    const [first] = (await loans()).rows;
    // Never mined: the node drops it once it expires; until the solidified head passes it, nothing changes.
    t.devnet.advanceTime(120_000);
    await pass();
    expect((await loans()).rows.map((x) => x.status)).toEqual(['broadcast']);
    t.devnet.mine(21);
    expect(await pass()).toMatchObject({ delegated: 1 });
    expect((await loans()).rows.map((x) => x.status)).toEqual(['expired', 'broadcast']);
    await sweepUntil(settled);
    expect((await loans()).rows.map((x) => x.status)).toEqual(['expired', 'confirmed']);
    expect((await info(first!.tx_hash)).fee).toBeUndefined();
    expect(await post('/wallet/gettransactionbyid', { value: first!.tx_hash })).toEqual({});
    expect(t.devnet.tokenBalance(addr)).toBe(0n);
    expect(
      await post('/wallet/getdelegatedresourcev2', { fromAddress: STAKE, toAddress: addr, visible: true }),
    ).toEqual({});
    expect((await sweeper().reconcile())?.status).toBe('ok');
  });
});
