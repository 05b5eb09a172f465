import { readFileSync } from 'node:fs';
import { TronWeb, utils } from 'tronweb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';

// Stake 2.0 on the TRON devnet: freezing for energy or bandwidth, limits as the stake's share of the
// network, usage recovering over 24 h, unfreezing with its 14-day delay, delegation with and without a
// lock, the queries of Wallet.java and the node-side builders, checked against real response shapes.

const FIXTURES = '/work/shared/fixtures/tron';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const DAY_MS = 86_400_000;
const TRX = 1_000_000;

function paths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) paths(v, `${prefix}[]`, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.add(`${prefix}:${typeof value}`);
  return out;
}

let d: TronDevnet;
const post = async (path: string, body: object = {}) =>
  (await (await fetch(`${d.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as any;
const v = (body: object) => ({ ...body, visible: true });
const resource = (address: string) => post('/wallet/getaccountresource', v({ address }));
const funded = (trx: number) => {
  const a = utils.accounts.generateAccount();
  d.sendTrx(a.address.base58, trx * TRX);
  return { privateKey: a.privateKey, address: a.address.base58 };
};

beforeAll(async () => {
  d = await startTronDevnet({ solidDepth: 2 });
});
afterAll(async () => {
  await d?.close();
});

describe('TRON devnet Stake 2.0', () => {
  it('freezing gives energy as a share of the network stake; usage recovers linearly over 24 h', async () => {
    const a = funded(200_000);
    const weight = (await resource(d.faucet.address)).TotalEnergyWeight;
    d.freezeBalance(a.privateKey, 100_000 * TRX);
    d.mine();
    const r = await resource(a.address);
    expect(r.TotalEnergyWeight).toBe(weight + 100_000);
    expect(r.EnergyLimit).toBe(Math.trunc(100_000 * (180_000_000_000 / (weight + 100_000))));
    expect(r.tronPowerLimit).toBe(100_000);
    const acc = await post('/wallet/getaccount', v({ address: a.address }));
    expect(acc.frozenV2).toEqual([{}, { type: 'ENERGY', amount: 100_000 * TRX }, { type: 'TRON_POWER' }]);
    expect(acc.balance).toBe(100_000 * TRX);
    d.sendUsdt(a.address, 10n);
    d.mine();
    d.transferToken(a.privateKey, d.faucet.address, 10n, { feeLimit: 30 * TRX });
    d.mine();
    expect((await resource(a.address)).EnergyUsed).toBe(64_285);
    d.advanceTime(DAY_MS / 4);
    d.mine();
    // a quarter of the window later, a quarter has recovered (java-tron's integer steps round down)
    const quarter = (await resource(a.address)).EnergyUsed;
    expect(quarter).toBeGreaterThanOrEqual(48_200);
    expect(quarter).toBeLessThanOrEqual(Math.round(64_285 * 0.75));
    d.advanceTime((DAY_MS * 3) / 4);
    d.mine();
    expect((await resource(a.address)).EnergyUsed).toBeUndefined();
  });

  it('unfreezing waits 14 days before the TRX can be withdrawn; cancelling restakes what is still waiting', async () => {
    const a = funded(1_000);
    d.freezeBalance(a.privateKey, 500 * TRX, 'BANDWIDTH');
    d.mine();
    const txid = d.unfreezeBalance(a.privateKey, 200 * TRX, 'BANDWIDTH');
    d.mine();
    const acc = await post('/wallet/getaccount', v({ address: a.address }));
    expect(acc.frozenV2[0]).toEqual({ amount: 300 * TRX });
    expect(acc.unfrozenV2).toEqual([
      { unfreeze_amount: 200 * TRX, unfreeze_expire_time: expect.any(Number) },
    ]);
    const blockTime = (await post('/wallet/gettransactioninfobyid', { value: txid })).blockTimeStamp;
    expect(acc.unfrozenV2[0].unfreeze_expire_time - blockTime).toBeLessThanOrEqual(14 * DAY_MS);
    expect(await post('/wallet/getavailableunfreezecount', v({ owner_address: a.address }))).toEqual({
      count: 31,
    });
    expect(() => d.withdrawExpireUnfreeze(a.privateKey)).toThrow('no unFreeze balance to withdraw');
    const at = acc.unfrozenV2[0].unfreeze_expire_time;
    expect(
      await post('/wallet/getcanwithdrawunfreezeamount', v({ owner_address: a.address, timestamp: at - 1 })),
    ).toEqual({});
    expect(
      await post('/wallet/getcanwithdrawunfreezeamount', v({ owner_address: a.address, timestamp: at })),
    ).toEqual({
      amount: 200 * TRX,
    });
    d.advanceTime(14 * DAY_MS);
    d.mine();
    const before = d.trxBalance(a.address);
    const w = d.withdrawExpireUnfreeze(a.privateKey);
    d.mine();
    expect((await post('/wallet/gettransactioninfobyid', { value: w })).withdraw_expire_amount).toBe(
      200 * TRX,
    );
    expect(d.trxBalance(a.address) - before).toBe(BigInt(200 * TRX));
    d.unfreezeBalance(a.privateKey, 100 * TRX, 'BANDWIDTH');
    d.mine();
    const c = await post('/wallet/cancelallunfreezev2', v({ owner_address: a.address }));
    const tw = new TronWeb({ fullHost: d.url });
    expect((await tw.trx.sendRawTransaction(await tw.trx.sign(c, a.privateKey))).result).toBe(true);
    d.mine();
    const after = await post('/wallet/getaccount', v({ address: a.address }));
    expect([after.frozenV2[0], after.unfrozenV2]).toEqual([{ amount: 300 * TRX }, undefined]);
  });

  it('delegates with a lock that holds until its period ends, and indexes both sides', async () => {
    const owner = funded(50_000);
    const receiver = funded(1);
    d.freezeBalance(owner.privateKey, 40_000 * TRX);
    d.mine();
    d.delegateResource(owner.privateKey, receiver.address, 10_000 * TRX, 'ENERGY', {
      lock: true,
      lockPeriod: 100,
    });
    d.delegateResource(owner.privateKey, receiver.address, 5_000 * TRX);
    d.mine();
    const records = await post(
      '/wallet/getdelegatedresourcev2',
      v({ fromAddress: owner.address, toAddress: receiver.address }),
    );
    expect(records.delegatedResource).toEqual([
      { from: owner.address, to: receiver.address, frozen_balance_for_energy: 5_000 * TRX },
      {
        from: owner.address,
        to: receiver.address,
        frozen_balance_for_energy: 10_000 * TRX,
        expire_time_for_energy: expect.any(Number),
      },
    ]);
    expect(await post('/wallet/getdelegatedresourceaccountindexv2', v({ value: receiver.address }))).toEqual({
      account: receiver.address,
      fromAccounts: [owner.address],
    });
    const acc = await post('/wallet/getaccount', v({ address: owner.address }));
    expect(acc.account_resource.delegated_frozenV2_balance_for_energy).toBe(15_000 * TRX);
    const rec = await post('/wallet/getaccount', v({ address: receiver.address }));
    expect(rec.account_resource.acquired_delegated_frozenV2_balance_for_energy).toBe(15_000 * TRX);
    expect(
      (await post('/wallet/getcandelegatedmaxsize', v({ owner_address: owner.address, type: 1 }))).max_size,
    ).toBe(25_000 * TRX);
    expect(() => d.undelegateResource(owner.privateKey, receiver.address, 6_000 * TRX)).toThrow(
      `insufficient delegateFrozenBalance(Energy), request=${6_000 * TRX}, unlock_balance=${5_000 * TRX}`,
    );
    d.advanceTime(100 * 3_000 + 1);
    d.mine();
    d.undelegateResource(owner.privateKey, receiver.address, 15_000 * TRX);
    d.mine();
    expect(
      await post(
        '/wallet/getdelegatedresourcev2',
        v({ fromAddress: owner.address, toAddress: receiver.address }),
      ),
    ).toEqual({});
    expect(await post('/wallet/getdelegatedresourceaccountindexv2', v({ value: receiver.address }))).toEqual({
      account: receiver.address,
    });
    expect((await post('/wallet/getaccount', v({ address: owner.address }))).frozenV2[1].amount).toBe(
      40_000 * TRX,
    );
  });

  it('the solidity node answers the stake queries from the solidified head', async () => {
    const a = funded(100);
    d.mine();
    d.freezeBalance(a.privateKey, 10 * TRX);
    d.mine();
    const q = { owner_address: a.address, type: 1, visible: true };
    expect(await post('/walletsolidity/getcandelegatedmaxsize', q)).toEqual({});
    d.mine(2);
    expect(await post('/walletsolidity/getcandelegatedmaxsize', q)).toEqual({ max_size: 10 * TRX });
  });
});

describe('TRON devnet builders, signatures and shapes', () => {
  it('builds stake transactions tronweb accepts byte for byte, and refuses invalid ones as java-tron does', async () => {
    const a = funded(10);
    d.mine();
    const built = await post(
      '/wallet/freezebalancev2',
      v({ owner_address: a.address, frozen_balance: 2 * TRX, resource: 'ENERGY' }),
    );
    expect(utils.transaction.txCheck(built)).toBe(true);
    expect(built.raw_data.contract[0].parameter.value).toEqual({
      resource: 'ENERGY',
      frozen_balance: 2 * TRX,
      owner_address: a.address,
    });
    const tooMuch = await post(
      '/wallet/freezebalancev2',
      v({ owner_address: a.address, frozen_balance: 20 * TRX }),
    );
    expect(tooMuch).toEqual({
      Error:
        'class org.tron.core.exception.ContractValidateException : frozenBalance must be less than or equal to accountBalance',
    });
    const local = await new TronWeb({ fullHost: d.url }).transactionBuilder.delegateResource(
      TRX,
      d.faucet.address,
      'ENERGY',
      a.address,
      true,
      10,
    );
    const remote = await post('/wallet/getsignweight', local);
    expect(remote.result).toEqual({ code: 'NOT_ENOUGH_PERMISSION' });
    expect(remote.transaction.txid).toBe(local.txID);
    const signed = utils.crypto.signTransaction(a.privateKey, local);
    const weight = await post('/wallet/getsignweight', signed);
    expect([weight.result, weight.current_weight, weight.approved_list]).toEqual([
      { code: 'ENOUGH_PERMISSION' },
      1,
      [TronWeb.address.toHex(a.address).toLowerCase()],
    ]);
  });

  it('broadcasthex takes a signed protobuf; unknown paths get Jetty 404 pages', async () => {
    const a = funded(10);
    d.mine();
    const tw = new TronWeb({ fullHost: d.url });
    const tx = await tw.trx.sign(
      await tw.transactionBuilder.sendTrx(d.faucet.address, TRX, a.address),
      a.privateKey,
    );
    const pb = utils.transaction.txJsonToPb(tx) as any;
    pb.addSignature(Buffer.from(tx.signature[0] as string, 'hex'));
    const r = await tw.trx.sendHexTransaction(Buffer.from(pb.serializeBinary()).toString('hex'));
    expect([r.result, r.code, r.txid]).toEqual([true, 'SUCCESS', tx.txID]);
    expect(d.chain.pending.has(tx.txID)).toBe(true);
    const res = await fetch(`${d.url}/wallet/getmarketorderbyid`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('<h2>HTTP ERROR 404 Not Found</h2>');
  });

  it('account, resource and net answers keep the real shapes', async () => {
    const a = funded(1_000);
    d.mine();
    d.freezeBalance(a.privateKey, 100 * TRX, 'BANDWIDTH');
    d.mine();
    const acc = await post('/wallet/getaccount', v({ address: a.address }));
    const real = fixture('getaccount.mainnet-visible.json');
    // free_net_usage (Account field 19) is printed once the free bandwidth is used; the fixture's account had none
    const allowed = new Set([...paths(real), 'free_net_usage:number']);
    expect([...paths(acc)].filter((p) => !allowed.has(p))).toEqual([]);
    const res = await post('/wallet/getaccountresource', v({ address: a.address }));
    expect(res.NetLimit).toBeGreaterThan(0);
    const net = await post('/wallet/getaccountnet', v({ address: a.address }));
    expect(Object.keys(net)).toEqual([
      'freeNetUsed',
      'freeNetLimit',
      'NetLimit',
      'TotalNetLimit',
      'TotalNetWeight',
    ]);
    expect(net.NetLimit).toBe(res.NetLimit);
  });
});
