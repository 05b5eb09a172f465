import { describe, expect, it } from 'vitest';
import { requestDeposit, useEvmApp } from '../helpers/evm.js';

// The ops console's search ("where is this customer's money?") by an EVM address as a customer quotes it.
// EVM addresses are stored checksummed (EIP-55), but the same address reaches ops in lower case (a JSON-RPC
// answer, many explorers' links and wallets) or upper case: a search that matched only the spelling typed and
// its lower case found nothing for those, and told the on-call engineer the address was not ours.
const t = useEvmApp({}, {}, 'api');

async function search(query: string) {
  const admin = (await t.app.services.tokens.issueAdmin(600, 'dave')).token;
  const r = await t.graphql(
    { bearer: admin },
    'query($q: String!) { opsSearch(query: $q) { kind objectId matched } }',
    {
      q: query,
    },
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data.opsSearch;
}

const spellings = (address: string) => [
  address,
  address.toLowerCase(),
  `0x${address.slice(2).toUpperCase()}`,
];

describe('ops search by an EVM address', () => {
  it('finds a deposit address and a withdrawal wallet however the address is cased', async () => {
    const m = await t.merchant();
    const dep = await requestDeposit(t, m, 'erin', 'ERC20', '5');
    expect(dep.depositAddress).not.toBe(dep.depositAddress.toLowerCase()); // stored checksummed
    for (const q of spellings(dep.depositAddress))
      expect([q, await search(q)]).toEqual([q, [{ kind: 'DEPOSIT', objectId: dep.id, matched: 'address' }]]);

    await t.credit(m, 'erin', '100');
    const wallet = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'; // EIP-55's own example
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'erin', amount: 50, walletAddress: wallet, network: 'ERC20' },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    for (const q of spellings(wallet))
      expect([q, await search(q)]).toEqual([
        q,
        [{ kind: 'WITHDRAWAL', objectId: w.body.id, matched: 'wallet' }],
      ]);
  });
});
