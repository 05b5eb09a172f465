import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { HouseBalance } from '../../src/modules/ledger/house.js';
import { requestDeposit, useEvmApp } from '../helpers/evm.js';
import { checkHouseInvariants, checkLedgerInvariants } from '../helpers/invariants.js';
import { payoutOnce } from '../helpers/scan.js';

// The house books follow the coins on an EVM devnet: a confirmed deposit puts its tokens in custody on the
// deposit address (once, however often it is scanned), ops' funding of the hot wallet is capital, and a payout
// takes its tokens out of the hot wallet and burns exactly the gas its receipt says. At every step the books
// balance, and what they say is in custody is what the chain holds.

const HOT = Wallet.createRandom();
const t = useEvmApp({
  payouts: { ...loadConfig().payouts, monitorMs: 600_000, evmPrivateKey: HOT.privateKey },
});
const E6 = 1_000_000n;
const E18 = 10n ** 18n;

const provider = () =>
  new JsonRpcProvider(t.devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
async function tokenBalance(token: string, address: string): Promise<bigint> {
  const p = provider();
  try {
    const c = new Contract(token, ['function balanceOf(address) view returns (uint256)'], p);
    return (await (c.balanceOf as (a: string) => Promise<bigint>)(address)) as bigint;
  } finally {
    p.destroy();
  }
}
const ethBalance = async (a: string) =>
  BigInt(await t.devnet.request<string>('eth_getBalance', [a, 'latest']));

async function books(network: string): Promise<Record<string, string>> {
  const rows: HouseBalance[] = await t.app.services.ledger.house.balances({ network, mode: 'test' });
  return Object.fromEntries(rows.map((r) => [`${r.asset} ${r.code}`, r.balance.toString()]));
}

async function scanAll() {
  for (const c of ['ERC20:test', 'BEP20:test']) await t.scan(c);
}

describe('house books', () => {
  it('a confirmed deposit puts its tokens in custody on its address, once; a payout takes them out with its fee', async () => {
    const m = await t.merchant();
    const a = await requestDeposit(t, m, 'alice', 'ERC20', '25');
    const b = await requestDeposit(t, m, 'bob', 'ERC20', '10');
    const c = await requestDeposit(t, m, 'carol', 'BEP20', '3');
    await t.devnet.sendToken(t.devnet.usdt6, a.depositAddress, 25n * E6);
    await t.devnet.sendToken(t.devnet.usdt6, b.depositAddress, 7n * E6);
    await t.devnet.sendToken(t.devnet.usdt6, b.depositAddress, 3n * E6 + 1n);
    await t.devnet.sendToken(t.devnet.usdt18, c.depositAddress, 3n * E18 + 1n);
    await scanAll();
    // Seen but not confirmed: nothing is ours to account for yet.
    expect(await books('ERC20')).toEqual({});
    await t.devnet.mine(12);
    await scanAll();
    await scanAll(); // a second pass over the same transfers posts nothing again
    expect(await books('ERC20')).toEqual({
      'token custody:deposits': String(35n * E6 + 1n),
      'token inflow': String(-(35n * E6 + 1n)),
    });
    expect(await books('BEP20')).toEqual({
      'token custody:deposits': String(3n * E18 + 1n),
      'token inflow': String(-(3n * E18 + 1n)),
    });
    const onChain =
      (await tokenBalance(t.devnet.usdt6.address, a.depositAddress)) +
      (await tokenBalance(t.devnet.usdt6.address, b.depositAddress));
    expect(String(onChain)).toBe((await books('ERC20'))['token custody:deposits']);
    const credited = await t.app.pool.query(
      `select count(*)::int as n from house_transactions where type = 'deposit'`,
    );
    expect(credited.rows[0].n).toBe(4);

    // Ops funds the hot wallet and records it: capital → custody:hot, one record per funding transaction.
    const tokenTx = await t.devnet.sendToken(t.devnet.usdt6, HOT.address, 500n * E6);
    const ethTx = await t.devnet.sendEth(HOT.address, E18);
    const fund = (asset: 'token' | 'native', amount: bigint, reference: string) => ({
      key: `funding:${reference}`,
      type: 'funding' as const,
      network: 'ERC20',
      mode: 'test' as const,
      asset,
      from: 'capital' as const,
      to: 'custody:hot' as const,
      amount,
      reference,
    });
    const house = t.app.services.ledger.house;
    expect(await house.postAlone([fund('token', 500n * E6, tokenTx), fund('native', E18, ethTx)])).toBe(2);
    expect(await house.postAlone([fund('token', 500n * E6, tokenTx)])).toBe(0);

    // A payout: the tokens leave custody:hot for outflow, the gas its receipt shows goes to network_fees.
    await t.credit(m, 'dave', '100');
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'dave', amount: 100, walletAddress: Wallet.createRandom().address, network: 'ERC20' },
    });
    expect(w.status).toBe(200);
    const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
    await t.graphql({ bearer: token }, `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename } }`, {
      id: w.body.id,
    });
    await payoutOnce(t.app);
    await t.devnet.mine(12);
    await payoutOnce(t.app);
    await payoutOnce(t.app);
    const paid = await t.app.pool.query(
      'select status, tx_hash, amount_token_minor from withdrawals where id = $1',
      [w.body.id],
    );
    expect(paid.rows[0].status).toBe('completed');
    const receipt = await t.devnet.request<{ gasUsed: string; effectiveGasPrice: string }>(
      'eth_getTransactionReceipt',
      [paid.rows[0].tx_hash],
    );
    const gas = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
    expect(gas).toBeGreaterThan(0n);
    const units = BigInt(paid.rows[0].amount_token_minor);
    expect(await books('ERC20')).toMatchObject({
      'token custody:hot': String(500n * E6 - units),
      'token outflow': String(units),
      'native custody:hot': String(E18 - gas),
      'native network_fees': String(gas),
      'native capital': String(-E18),
    });
    // Custody on chain is what the books say: the hot wallet's tokens and its coin after the payout's gas.
    expect(await tokenBalance(t.devnet.usdt6.address, HOT.address)).toBe(500n * E6 - units);
    expect(await ethBalance(HOT.address)).toBe(E18 - gas);
    await checkHouseInvariants(t.app.pool);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });
});
