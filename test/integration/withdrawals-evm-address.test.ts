import { describe, expect, it } from 'vitest';
import { useEvmApp } from '../helpers/evm.js';

// 40 hex digits without their 0x: ethers' isAddress takes them, and the payout address check then ran
// BigInt on the text, which threw on any with a letter: the withdrawal answered 500. Both spellings are now
// refused as the invalid address they are, with nothing held.
const t = useEvmApp({}, {}, 'api');

describe('an EVM payout address without 0x', () => {
  it('is refused with a 400 naming walletAddress, and nothing is held', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u', '100');
    for (const walletAddress of [
      '50060003000003000000000f000672000200c10e',
      '5006000300000300000000000006720002001010',
    ]) {
      const r = await t.request({
        url: '/api/v1/withdraw/create',
        as: m,
        body: { userId: 'u', amount: 50, walletAddress, network: 'BEP20' },
      });
      expect([r.status, r.body.error?.code, r.body.error?.param]).toEqual([
        400,
        'invalid_address',
        'walletAddress',
      ]);
    }
    const b = await t.request({ url: '/api/v1/balance/u', as: m });
    expect(b.body.balance).toBe(100);
  });
});

// Every EVM network's deposit addresses come from one HD sequence and one key, so a deposit address of one
// network (BEP20) is an address of ours on each of the others (ERC20, POLYGON) as well: a payout there sends
// the tokens to an address no scanner of that network watches, the user's Stars gone with them.
describe('an EVM payout to a deposit address of another EVM network', () => {
  it('is refused as an address of this service, and nothing is held', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u2', '100');
    const dep = await t.request({
      url: '/api/v1/deposit/create',
      as: m,
      body: { userId: 'someone', amount: 5, currency: 'USDT', network: 'BEP20' },
    });
    expect(dep.status).toBe(200);
    for (const network of ['ERC20', 'POLYGON', 'BEP20']) {
      const r = await t.request({
        url: '/api/v1/withdraw/create',
        as: m,
        body: { userId: 'u2', amount: 50, walletAddress: dep.body.depositAddress, network },
      });
      expect([network, r.status, r.body.error?.code]).toEqual([network, 400, 'invalid_address']);
    }
    const b = await t.request({ url: '/api/v1/balance/u2', as: m });
    expect(b.body.balance).toBe(100);
  });
});
