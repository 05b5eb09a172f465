import { randomBytes } from 'node:crypto';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { TronWeb } from 'tronweb';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestContext, TestMerchant } from '../helpers/app.js';
import { useEvmApp } from '../helpers/evm.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { MANUAL_SCAN_CONFIG } from '../helpers/scan.js';
import { useTronApp } from '../helpers/tron.js';
import { workerProcess } from '../helpers/worker-process.js';

// The payout worker as its own process (`--role worker`), killed with SIGKILL right after it stored a signed
// transaction (its broadcast held up by the node), right after the broadcast, and while confirming; each time
// a new worker resumes. Exactly one transfer reaches the chain and the ledger balances. TRON and EVM.

const TRON_KEY = randomBytes(32).toString('hex');
const TRON_HOT = TronWeb.address.fromPrivateKey(TRON_KEY) as string;
const EVM_HOT = Wallet.createRandom();
const tron = useTronApp(MANUAL_SCAN_CONFIG, 'api');
const evm = useEvmApp({ ...MANUAL_SCAN_CONFIG }, { automine: false }, 'api');

async function approvedWithdrawal(t: TestContext, m: TestMerchant, to: string, network: string) {
  await t.credit(m, 'crash', '200');
  const w = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: 'crash', amount: 200, walletAddress: to, network },
  });
  expect(w.status).toBe(200);
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  const ok = await t.graphql(
    { bearer: token },
    `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename } }`,
    {
      id: w.body.id,
    },
  );
  expect(ok.body.data.approveWithdrawal.__typename).toBe('Withdrawal');
  return w.body.id as string;
}

async function expectBalancedBooks(t: TestContext, m: TestMerchant) {
  await checkLedgerInvariants(t.app.pool);
  const books = await t.app.pool.query<{ code: string; b: string }>(
    `select code, balance_minor::text as b from accounts where merchant_id = $1 and kind = 'system' order by code`,
    [m.merchantId],
  );
  return Object.fromEntries(books.rows.map((r) => [r.code, r.b]));
}

describe('payout worker crashes (TRON)', () => {
  const worker = workerProcess(
    () => tron.app.pool,
    () => ({
      DATABASE_URL: tron.app.config.databaseUrl,
      REDIS_URL: tron.app.config.redisUrl,
      REDIS_PREFIX: tron.app.config.redisPrefix,
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
      TRON_TEST_NODE_URL: tron.devnet.url,
      TRC20_TEST_USDT_CONTRACT: tron.devnet.usdt.address,
      TRC20_CONFIRMATIONS: '19',
      PAYOUT_TRON_PRIVATE_KEY: TRON_KEY,
    }),
  );
  afterAll(() => worker.dispose());

  it('SIGKILL after signing, after broadcasting and while confirming: one transfer, balanced ledger', {
    timeout: 240_000,
  }, async () => {
    const t = tron;
    t.devnet.sendUsdt(TRON_HOT, 1_000_000_000n);
    t.devnet.sendTrx(TRON_HOT, 1_000_000_000n);
    t.devnet.mine();
    const m = await t.merchant();
    const to = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;
    const id = await approvedWithdrawal(t, m, to, 'TRC20');

    // 1. The node holds the broadcast: the worker has stored the signed transaction and waits. Kill it.
    const fault = t.devnet.injectFault({
      path: '/wallet/broadcasttransaction',
      kind: 'slow',
      delayMs: 60_000,
    });
    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'signed');
    await worker.kill();
    t.devnet.clearFaults(fault);
    expect(t.devnet.pendingCount()).toBe(0);
    const [stored] = (
      await t.app.pool.query('select tx_hash from payout_transactions where withdrawal_id = $1', [id])
    ).rows;

    // 2. A new worker sends the stored transaction (not a new one). Kill it once it is broadcast.
    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'broadcast');
    await worker.kill();
    expect(t.devnet.pendingCount()).toBe(1);

    // 3. In a block; the next worker sees it confirming. Kill it there.
    t.devnet.mine();
    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'confirming');
    await worker.kill();

    // 4. Confirmed: the last worker completes it, then stops cleanly.
    t.devnet.mine(19);
    await worker.start();
    await worker.until(id, (r) => r.status === 'completed');
    expect(await worker.stop()).toBe(0);

    const txs = await t.app.pool.query(
      'select tx_hash, status from payout_transactions where withdrawal_id = $1',
      [id],
    );
    expect(txs.rows).toEqual([{ tx_hash: stored.tx_hash, status: 'mined' }]);
    const grid = await (
      await fetch(`${t.devnet.url}/v1/accounts/${to}/transactions/trc20?only_to=true`)
    ).json();
    expect(grid.data).toHaveLength(1);
    expect(grid.data[0]).toMatchObject({ transaction_id: stored.tx_hash, value: '188000000' });
    expect(await expectBalancedBooks(t, m)).toMatchObject({
      fee_revenue: '1200',
      'outflow:TRC20': '18800',
      payouts_in_flight: '0',
    });
    // Four workers' debug logs, from start to completion: the hot wallet's key is in none of them.
    expect(worker.output()).toContain('payout pass');
    expect(worker.output()).not.toContain(TRON_KEY);
  });
});

describe('payout worker crashes (EVM)', () => {
  const worker = workerProcess(
    () => evm.app.pool,
    () => ({
      DATABASE_URL: evm.app.config.databaseUrl,
      REDIS_URL: evm.app.config.redisUrl,
      REDIS_PREFIX: evm.app.config.redisPrefix,
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
      EVM_TEST_RPC_URL: evm.devnet.url,
      EVM_TEST_USDT6_CONTRACT: evm.devnet.usdt6.address,
      EVM_TEST_USDT18_CONTRACT: evm.devnet.usdt18.address,
      EVM_TEST_CONFIRMATIONS: '12',
      PAYOUT_EVM_PRIVATE_KEY: EVM_HOT.privateKey,
    }),
  );
  afterAll(() => worker.dispose());

  it('SIGKILL after signing, after broadcasting and while confirming: one nonce, one transfer', {
    timeout: 240_000,
  }, async () => {
    const t = evm;
    await t.devnet.sendToken(t.devnet.usdt6, EVM_HOT.address, 1_000n * 10n ** 6n);
    await t.devnet.sendEth(EVM_HOT.address, 10n ** 19n);
    await t.devnet.mine();
    const m = await t.merchant();
    const to = Wallet.createRandom().address;
    const id = await approvedWithdrawal(t, m, to, 'ERC20');

    const fault = t.devnet.injectFault({ method: 'eth_sendRawTransaction', kind: 'slow', delayMs: 60_000 });
    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'signed');
    await worker.kill();
    t.devnet.clearFaults(fault);

    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'broadcast');
    await worker.kill();

    await t.devnet.mine();
    await worker.start();
    await worker.until(id, (r) => r.payout_state === 'confirming');
    await worker.kill();

    await t.devnet.mine(12);
    await worker.start();
    await worker.until(id, (r) => r.status === 'completed');
    expect(await worker.stop()).toBe(0);

    const txs = await t.app.pool.query<{ status: string; nonce: bigint }>(
      'select status, nonce from payout_transactions where withdrawal_id = $1',
      [id],
    );
    expect(txs.rows.map((r) => r.status)).toEqual(['mined']);
    const provider = new JsonRpcProvider(t.devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      expect(await provider.getTransactionCount(EVM_HOT.address, 'latest')).toBe(
        Number(txs.rows[0]!.nonce) + 1,
      );
      const token = new Contract(
        t.devnet.usdt6.address,
        ['function balanceOf(address) view returns (uint256)'],
        provider,
      );
      expect(await (token.balanceOf as (a: string) => Promise<bigint>)(to)).toBe(188_000_000n);
    } finally {
      provider.destroy();
    }
    expect(await expectBalancedBooks(t, m)).toMatchObject({ fee_revenue: '1200', 'outflow:ERC20': '18800' });
    expect(worker.output()).toContain('payout pass');
    expect(worker.output()).not.toContain(EVM_HOT.privateKey.slice(2));
  });
});
