import { describe, expect, it } from 'vitest';
import { createTronDeposit, tronDepositSteps, useTronApp } from '../helpers/tron.js';

// The ops console's search by a transaction hash as a customer quotes it. TRON hashes are stored as the chain
// writes them, 64 hex digits in lower case without 0x, but explorers, wallets and EVM habits hand ops the same
// hash with 0x or in capitals: a search that looked up only the spelling typed and its lower case found nothing
// for `0x…`, and told the on-call engineer the payment was not ours.
const t = useTronApp();
const USDT = 1_000_000n;
const { mineAndScan } = tronDepositSteps(t);

async function search(query: string) {
  const admin = (await t.app.services.tokens.issueAdmin(600, 'dave')).token;
  const r = await t.graphql(
    { bearer: admin },
    'query($q: String!) { opsSearch(query: $q) { kind objectId matched } }',
    { q: query },
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data.opsSearch;
}

describe('ops search by a TRON transaction hash', () => {
  it('finds the deposit whose payment it is, with or without 0x, in any case', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'hash_1', 10);
    const hash = await t.devnet.sendUsdt(d.depositAddress, 3n * USDT);
    await mineAndScan(1);
    expect(hash).toMatch(/^[0-9a-f]{64}$/); // as TRON writes it, and as it is stored
    const stored = await t.app.pool.query('select tx_hash from chain_transfers where deposit_id = $1', [
      d.id,
    ]);
    expect(stored.rows).toEqual([{ tx_hash: hash }]);
    for (const q of [hash, `0x${hash}`, `0X${hash.toUpperCase()}`, hash.toUpperCase(), ` 0x${hash} `])
      expect([q, await search(q)]).toEqual([q, [{ kind: 'DEPOSIT', objectId: d.id, matched: 'tx_hash' }]]);
  });

  it('finds nothing for a hash nobody has, whatever its spelling', async () => {
    for (const q of [`0x${'ab'.repeat(32)}`, 'AB'.repeat(32)]) expect(await search(q)).toEqual([]);
  });
});
