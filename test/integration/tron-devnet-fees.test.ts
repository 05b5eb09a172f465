import { readFileSync } from 'node:fs';
import { TronWeb, utils } from 'tronweb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';

// The fee paths of a sweep on the TRON devnet: the pending state the full node answers from, what a USDT
// transfer costs (new holder or not, dynamic energy factor), estimateenergy being exact, and the two ways
// to pay: burn TRX topped up from the estimate, or energy delegated from a staking account.

const FIXTURES = '/work/shared/fixtures/tron';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const fromHex = (h: string) => Buffer.from(h, 'hex').toString('utf8');
const ENERGY_FEE = 210;

let d: TronDevnet;
const post = async (path: string, body: object = {}) =>
  (await (await fetch(`${d.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as any;
const account = (address: string, solid = false) =>
  post(`/${solid ? 'walletsolidity' : 'wallet'}/getaccount`, { address, visible: true });
const info = (txid: string) => post('/wallet/gettransactioninfobyid', { value: txid });
const newAccount = () => {
  const a = utils.accounts.generateAccount();
  return { privateKey: a.privateKey, address: a.address.base58, hex: a.address.hex.toLowerCase() };
};
const transferCall = (from: string, to: string, amount: number) => ({
  owner_address: from,
  contract_address: d.usdt.address,
  function_selector: 'transfer(address,uint256)',
  parameter: `${TronWeb.address.toHex(to).slice(2).padStart(64, '0')}${amount.toString(16).padStart(64, '0')}`,
  visible: true,
});

beforeAll(async () => {
  d = await startTronDevnet({ solidDepth: 19 });
});
afterAll(async () => {
  await d?.close();
});

describe('TRON devnet pending state', () => {
  it('a broadcast shows at once on the full node and in the next validation; blocks and the solidity node keep their view', async () => {
    const a = newAccount();
    d.sendTrx(a.address, 3_000_000);
    d.mine(20);
    const txid = d.sendTrx(d.faucet.address, 2_000_000, { fromPrivateKey: a.privateKey });
    expect((await account(a.address)).balance).toBe(1_000_000);
    expect((await account(a.address, true)).balance).toBe(3_000_000);
    expect(await post('/wallet/getpendingsize')).toEqual({ pendingSize: 1 });
    expect((await post('/wallet/gettransactionfrompending', { value: txid })).txID).toBe(txid);
    expect(await info(txid)).toEqual({});
    // the second transfer is validated against the pending balance, as java-tron does (another amount: the same
    // transfer built in the same millisecond would be the same transaction, DUP_TRANSACTION_ERROR)
    const tw = new TronWeb({ fullHost: d.url });
    const again = await tw.transactionBuilder.sendTrx(d.faucet.address, 2_000_001, a.address);
    const r = await tw.trx.sendRawTransaction(await tw.trx.sign(again, a.privateKey));
    expect(r.code).toBe('CONTRACT_VALIDATE_ERROR');
    expect(fromHex(r.message)).toBe(
      'Contract validate error : Validate TransferContract error, balance is not sufficient.',
    );
    const [block] = d.mine();
    expect(block?.transactions).toEqual([txid]);
    expect((await info(txid)).receipt).toEqual({ net_usage: expect.any(Number) });
    expect((await account(a.address)).balance).toBe(1_000_000);
    expect(await post('/wallet/getpendingsize')).toEqual({ pendingSize: 0 });
  });

  it('pending transactions run again after a devnet control; a reorg drops those whose reference block it replaced', async () => {
    const a = newAccount();
    d.sendTrx(a.address, 5_000_000);
    d.mine(3);
    const kept = d.sendTrx(d.faucet.address, 1_000_000, { fromPrivateKey: a.privateKey });
    d.setEnergyFactor(d.fakeUsdt.address, 0);
    expect((await account(a.address)).balance).toBe(4_000_000);
    expect(d.mine()[0]?.transactions).toEqual([kept]);
    d.mine();
    // java-tron checks TAPOS again when it packs a block: the reference block is gone after the reorg
    const dropped = d.sendTrx(d.faucet.address, 1_000_000, { fromPrivateKey: a.privateKey });
    expect((await account(a.address)).balance).toBe(3_000_000);
    d.reorg(1);
    expect(await post('/wallet/getpendingsize')).toEqual({ pendingSize: 0 });
    expect((await account(a.address)).balance).toBe(4_000_000);
    expect(d.mine()[0]?.transactions).toEqual([]);
    expect(await info(dropped)).toEqual({});
  });

  it('refuses what the owner cannot pay the bandwidth of (BANDWITH_ERROR), like a node', async () => {
    const a = newAccount();
    d.sendTrx(a.address, 1_000);
    d.mine();
    // three transfers use up the 600 free bytes; the fourth would burn 0.27 TRX the account lacks
    for (let i = 0; i < 2; i++) d.sendTrx(d.faucet.address, 1, { fromPrivateKey: a.privateKey });
    expect(() => d.sendTrx(d.faucet.address, 1, { fromPrivateKey: a.privateKey })).toThrow(
      /BANDWITH_ERROR: Account resource insufficient error\./,
    );
  });
});

describe('TRON devnet USDT energy', () => {
  it('costs mainnet figures: 64 285 to a holder, 130 285 to an empty balance, with the penalty shown', async () => {
    const holder = newAccount();
    d.sendUsdt(holder.address, 1n);
    d.mine();
    const toHolder = await post('/wallet/estimateenergy', transferCall(d.faucet.address, holder.address, 1));
    const toNew = await post(
      '/wallet/estimateenergy',
      transferCall(d.faucet.address, newAccount().address, 1),
    );
    expect([toHolder.energy_required, toNew.energy_required]).toEqual([64_285, 130_285]);
    const constant = await post(
      '/wallet/triggerconstantcontract',
      transferCall(d.faucet.address, newAccount().address, 1),
    );
    expect([constant.energy_used, constant.energy_penalty]).toEqual([130_285, 100_635]);
    const balanceOf = await post('/wallet/triggerconstantcontract', {
      owner_address: d.faucet.address,
      contract_address: d.usdt.address,
      function_selector: 'balanceOf(address)',
      parameter: holder.hex.slice(2).padStart(64, '0'),
      visible: true,
    });
    const real = fixture('triggerconstantcontract.usdt-balanceOf.mainnet.json');
    expect([balanceOf.energy_used, balanceOf.energy_penalty]).toEqual([
      real.energy_used,
      real.energy_penalty,
    ]);
  });

  it('getcontractinfo shows the dynamic energy factor; a lower factor lowers the cost', async () => {
    const c = await post('/wallet/getcontractinfo', { value: d.usdt.address, visible: true });
    expect(c.contract_state.energy_factor).toBe(34_000);
    expect(c.smart_contract.contract_address).toBe(d.usdt.address);
    expect(typeof c.runtimecode).toBe('string');
    expect(await post('/wallet/getcontractinfo', { value: newAccount().address, visible: true })).toEqual({});
    const fake = await post('/wallet/getcontractinfo', { value: d.fakeUsdt.address, visible: true });
    expect(fake.contract_state.energy_factor).toBeUndefined();
    d.setEnergyFactor(d.usdt.address, 10_000);
    try {
      const est = await post('/wallet/estimateenergy', transferCall(d.faucet.address, d.faucet.address, 1));
      expect(est.energy_required).toBe(14_650 + Math.floor((49_635 * 10_000) / 34_000));
    } finally {
      d.setEnergyFactor(d.usdt.address, 34_000);
    }
  });

  it('a busy USDT stays at the maximum factor across maintenance cycles; an idle contract decays', async () => {
    const local = await startTronDevnet();
    try {
      local.setEnergyFactor(local.fakeUsdt.address, 20_000);
      local.advanceTime(6 * 3_600_000 * 3);
      local.mine();
      const state = async (c: string) =>
        (
          (await (
            await fetch(`${local.url}/wallet/getcontractinfo`, {
              method: 'POST',
              body: JSON.stringify({ value: c, visible: true }),
            })
          ).json()) as any
        ).contract_state;
      expect((await state(local.usdt.address)).energy_factor).toBe(34_000);
      // three idle cycles: (1 + 2) × 0.95³ − 1
      expect((await state(local.fakeUsdt.address)).energy_factor).toBe(
        Math.trunc(30_000 * 0.95 ** 3) - 10_000,
      );
    } finally {
      await local.close();
    }
  });
});

describe('TRON devnet sweep fee paths', () => {
  it('a deposit address is no account until it gets TRX; without energy its sweep fails OUT_OF_ENERGY, burning nothing', async () => {
    const deposit = newAccount();
    d.sendUsdt(deposit.address, 5_000_000n);
    d.mine();
    expect(await account(deposit.address)).toEqual({});
    expect(() => d.transferToken(deposit.privateKey, d.faucet.address, 5_000_000n)).toThrow(
      `CONTRACT_VALIDATE_ERROR: Contract validate error : account [${deposit.address}] does not exist`,
    );
    d.sendTrx(deposit.address, 1);
    d.mine();
    const txid = d.transferToken(deposit.privateKey, d.faucet.address, 5_000_000n);
    d.mine();
    const i = await info(txid);
    expect([i.result, i.receipt.result, i.fee]).toEqual(['FAILED', 'OUT_OF_ENERGY', undefined]);
    expect(fromHex(i.resMessage)).toMatch(
      /^Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit\[0\]/,
    );
    expect(d.tokenBalance(deposit.address)).toBe(5_000_000n);
    expect(d.trxBalance(deposit.address)).toBe(1n);
  });

  it('burning: the TRX estimateenergy asks for is exactly what the sweep burns', async () => {
    const deposit = newAccount();
    d.sendUsdt(deposit.address, 7_000_000n);
    d.mine();
    const est = await post(
      '/wallet/estimateenergy',
      transferCall(deposit.address, d.faucet.address, 7_000_000),
    );
    const topUp = est.energy_required * ENERGY_FEE;
    d.sendTrx(deposit.address, topUp);
    d.mine();
    const txid = d.transferToken(deposit.privateKey, d.faucet.address, 7_000_000n, { feeLimit: topUp });
    d.mine();
    const i = await info(txid);
    expect(i.receipt).toMatchObject({ energy_fee: topUp, energy_usage_total: 64_285, result: 'SUCCESS' });
    expect(i.receipt.net_usage).toBeGreaterThan(0); // the free daily bandwidth covers the bytes
    expect(d.trxBalance(deposit.address)).toBe(0n);
    expect(d.tokenBalance(deposit.address)).toBe(0n);
  });

  it('delegating: energy lent by a staking account pays the sweep, then is reclaimed', async () => {
    const staker = newAccount();
    const deposit = newAccount();
    d.sendTrx(staker.address, 20_000_000_000);
    d.sendUsdt(deposit.address, 9_000_000n);
    d.sendTrx(deposit.address, 1); // activates the account: delegation needs an existing receiver
    d.mine();
    d.freezeBalance(staker.privateKey, 10_000_000_000n);
    d.delegateResource(staker.privateKey, deposit.address, 10_000_000_000n);
    d.mine();
    const res = await post('/wallet/getaccountresource', { address: deposit.address, visible: true });
    expect(res.EnergyLimit).toBeGreaterThan(64_285);
    const txid = d.transferToken(deposit.privateKey, d.faucet.address, 9_000_000n, { feeLimit: 20_000_000 });
    d.mine();
    const i = await info(txid);
    expect(i.receipt).toMatchObject({ energy_usage: 64_285, energy_usage_total: 64_285, result: 'SUCCESS' });
    expect([i.fee, i.receipt.energy_fee]).toEqual([undefined, undefined]);
    expect(d.trxBalance(deposit.address)).toBe(1n);
    const after = await post('/wallet/getaccountresource', { address: deposit.address, visible: true });
    expect(after.EnergyUsed).toBe(64_285);
    d.undelegateResource(staker.privateKey, deposit.address, 10_000_000_000n);
    d.mine();
    const back = await post('/wallet/getaccountresource', { address: deposit.address, visible: true });
    expect([back.EnergyLimit, back.EnergyUsed]).toEqual([undefined, undefined]);
    // the usage came back with the stake: the staker's energy is in use until it recovers
    const staker2 = await post('/wallet/getaccountresource', { address: staker.address, visible: true });
    expect(staker2.EnergyUsed).toBe(64_285);
  });
});
