import { TronWeb, utils } from 'tronweb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { energyOfStake, stakeForEnergy } from '../../src/chains/tron/staking.js';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';

// What delegate-mode sweeps rely on, through tronweb as against a real node: a staking account cannot lend to an
// address with no account (java-tron's DelegateResourceActuator: "Account[…] not exists"); 1 sun creates it (the
// sender pays 1.1 TRX) with 600 free bytes a day; the stake computed from getaccountresource's TotalEnergyLimit /
// TotalEnergyWeight gives the address exactly the energy estimateenergy says; the USDT transfer then burns
// nothing (energy from the loan, bandwidth from the free bytes); UnDelegateResourceContract takes the stake back
// and the usage with it, which getcandelegatedmaxsize counts against the staking account until it recovers.

const TRX = 1_000_000;
let d: TronDevnet;
let tw: TronWeb;
const post = async (path: string, body: object = {}) =>
  (await (await fetch(`${d.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as any;
const v = (body: object) => ({ ...body, visible: true });
const send = async (tx: any, key: string) => {
  const r = await tw.trx.sendRawTransaction(await tw.trx.sign(tx, key));
  expect(r.result).toBe(true);
  d.mine();
  return post('/wallet/gettransactioninfobyid', { value: r.transaction.txID });
};

beforeAll(async () => {
  d = await startTronDevnet({ solidDepth: 2 });
  tw = new TronWeb({ fullHost: d.url });
});
afterAll(async () => {
  await d?.close();
});

describe('TRON devnet: lending energy for a sweep, through tronweb', () => {
  it('lends exactly the energy of a USDT transfer to a 1-sun account, which then burns nothing; the reclaim returns stake and usage', async () => {
    const staker = utils.accounts.generateAccount();
    const stake = staker.address.base58;
    d.sendTrx(stake, 100_000 * TRX);
    d.mine();
    d.freezeBalance(staker.privateKey, 90_000 * TRX, 'ENERGY');
    d.mine();
    const deposit = utils.accounts.generateAccount();
    const addr = deposit.address.base58;
    d.sendUsdt(addr, 7_000_000n);
    d.mine();

    // No account yet (a TRC20 transfer creates none): nothing can be lent to it.
    expect(await post('/wallet/getaccount', v({ address: addr }))).toEqual({});
    // tronweb builds a DelegateResourceContract locally; the node refuses it, at build time as at broadcast.
    const early = await tw.transactionBuilder.delegateResource(TRX, addr, 'ENERGY', stake);
    const refused = await tw.trx.sendRawTransaction(await tw.trx.sign(early, staker.privateKey));
    const why = `Account[${TronWeb.address.toHex(addr).toLowerCase()}] not exists`;
    expect([refused.code, Buffer.from(refused.message ?? '', 'hex').toString()]).toEqual([
      'CONTRACT_VALIDATE_ERROR',
      `Contract validate error : ${why}`,
    ]);
    expect(
      await post(
        '/wallet/delegateresource',
        v({ owner_address: stake, receiver_address: addr, balance: TRX, resource: 'ENERGY' }),
      ),
    ).toEqual({ Error: `class org.tron.core.exception.ContractValidateException : ${why}` });
    // 1 sun creates it; the sender pays 1 TRX for the account and 0.1 TRX for the bytes.
    const created = await send(
      await tw.transactionBuilder.sendTrx(addr, 1, d.faucet.address),
      d.faucet.privateKey,
    );
    expect(created.fee).toBe(1_100_000);
    expect(await post('/wallet/getaccountnet', v({ address: addr }))).toMatchObject({ freeNetLimit: 600 });

    const params = [
      { type: 'address', value: d.faucet.address },
      { type: 'uint256', value: '7000000' },
    ];
    const est = await tw.transactionBuilder.estimateEnergy(
      d.usdt.address,
      'transfer(address,uint256)',
      {},
      params,
      addr,
    );
    const energy = BigInt(est.energy_required!);
    const res = await post('/wallet/getaccountresource', v({ address: addr }));
    const sun = stakeForEnergy(energy, res.TotalEnergyLimit, res.TotalEnergyWeight);
    expect(energyOfStake(sun, res.TotalEnergyLimit, res.TotalEnergyWeight)).toBeGreaterThanOrEqual(energy);
    expect(energyOfStake(sun - 1n, res.TotalEnergyLimit, res.TotalEnergyWeight)).toBeLessThan(energy);
    const maxBefore = (await post('/wallet/getcandelegatedmaxsize', v({ owner_address: stake, type: 1 })))
      .max_size;
    expect(maxBefore).toBe(90_000 * TRX);

    const lent = await send(
      await tw.transactionBuilder.delegateResource(Number(sun), addr, 'ENERGY', stake, false),
      staker.privateKey,
    );
    expect(lent.receipt).toEqual({ net_usage: expect.any(Number) }); // free bytes: no fee
    expect(lent.fee).toBeUndefined();
    expect(await post('/wallet/getdelegatedresourcev2', v({ fromAddress: stake, toAddress: addr }))).toEqual({
      delegatedResource: [{ from: stake, to: addr, frozen_balance_for_energy: Number(sun) }],
    });
    const withLoan = await post('/wallet/getaccountresource', v({ address: addr }));
    expect(BigInt(withLoan.EnergyLimit)).toBe(
      energyOfStake(sun, res.TotalEnergyLimit, res.TotalEnergyWeight),
    );
    expect(
      (await post('/wallet/getcandelegatedmaxsize', v({ owner_address: stake, type: 1 }))).max_size,
    ).toBe(maxBefore - Number(sun));

    // The transfer with fee_limit = energy × price: all its energy is lent, its bytes free.
    const { transaction } = await tw.transactionBuilder.triggerSmartContract(
      d.usdt.address,
      'transfer(address,uint256)',
      { feeLimit: Number(energy) * 210 },
      params,
      addr,
    );
    const swept = await send(transaction, deposit.privateKey);
    expect(swept.receipt).toMatchObject({
      energy_usage: Number(energy),
      energy_usage_total: Number(energy),
      result: 'SUCCESS',
    });
    expect(swept.receipt.energy_fee).toBeUndefined();
    expect(swept.fee).toBeUndefined();
    expect(d.tokenBalance(addr)).toBe(0n);
    expect((await post('/wallet/getaccount', v({ address: addr }))).balance).toBe(1);

    // The reclaim: stake and usage go back to the staking account; nothing stays lent.
    const back = await send(
      await tw.transactionBuilder.undelegateResource(Number(sun), addr, 'ENERGY', stake),
      staker.privateKey,
    );
    // the staking account's 600 free bytes went to its freeze and the loan: the reclaim burns its bytes
    expect(back.receipt).toEqual({ net_fee: back.fee });
    expect(back.fee).toBeGreaterThan(250_000);
    expect(await post('/wallet/getdelegatedresourcev2', v({ fromAddress: stake, toAddress: addr }))).toEqual(
      {},
    );
    const owner = await post('/wallet/getaccount', v({ address: stake }));
    expect(owner.account_resource.delegated_frozenV2_balance_for_energy).toBeUndefined();
    expect(owner.frozenV2[1]).toEqual({ type: 'ENERGY', amount: 90_000 * TRX });
    const receiver = await post('/wallet/getaccountresource', v({ address: addr }));
    expect(receiver.EnergyUsed).toBeUndefined();
    const ownerRes = await post('/wallet/getaccountresource', v({ address: stake }));
    expect(ownerRes.EnergyUsed).toBeGreaterThan(Number(energy) - 10);
    expect(ownerRes.EnergyUsed).toBeLessThanOrEqual(Number(energy));
    // the usage occupies stake until it recovers: less can be lent for now
    const maxAfter = (await post('/wallet/getcandelegatedmaxsize', v({ owner_address: stake, type: 1 })))
      .max_size;
    expect(maxAfter).toBeLessThan(90_000 * TRX);
    expect(maxAfter).toBeGreaterThan(90_000 * TRX - Number(sun) - TRX);
  });
});
