import { Contract, JsonRpcProvider, toQuantity, Wallet } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import type { EvmHotWallet } from '../../src/chains/evm/hot-wallet.js';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { fundHot, requestDeposit } from '../helpers/evm.js';
import { payoutOnce } from '../helpers/scan.js';
import { expectReconciled, housePostings, useSweptEvmApp } from '../helpers/treasury.js';

// Issue 20's failure paths of the treasury on the hardhat devnet: a top-up that lands but whose sweep the node
// refuses (an injected HTTP 503 on eth_sendRawTransaction) is sent again by a later pass, with no second top-up,
// and the books stay reconciled; an approved withdrawal the hot wallet cannot cover waits until a sweep refills
// the wallet, then is paid once; and a sweep that is mined but reverts (the devnet's 'revert' fault) is failed, its
// gas booked as a fee, and the address topped up again for what it burned and swept once.

const HOT = Wallet.createRandom();
const { t, sweeper, pass, queueIdle } = useSweptEvmApp(HOT.privateKey, {
  threshold: '1',
  disperse: DISPERSE_ADDRESS,
});
const E6 = 1_000_000n;
const sweepsOf = async (address: string) =>
  (
    await t.app.pool.query<{ status: string; topup_tx_id: string | null; tx_id: string | null }>(
      `select status, topup_tx_id::text, tx_id::text from sweeps where from_address = $1 and kind = 'sweep' order by id`,
      [address],
    )
  ).rows;
async function sweepUntilCompleted(address: string) {
  for (let i = 0; i < 20; i++) {
    await pass();
    if ((await sweepsOf(address)).at(-1)?.status === 'completed') return;
    await t.devnet.mine(i < 2 ? 1 : 12);
  }
  throw new Error(`the sweep of ${address} did not complete`);
}
async function tokenOf(address: string): Promise<bigint> {
  const p = new JsonRpcProvider(t.devnet.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const c = new Contract(t.devnet.usdt6.address, ['function balanceOf(address) view returns (uint256)'], p);
    return (await (c.balanceOf as (a: string) => Promise<bigint>)(address)) as bigint;
  } finally {
    p.destroy();
  }
}
async function deposit(user: string, units: bigint) {
  merchant ??= await t.merchant();
  const m = merchant;
  const d = await requestDeposit(t, m, user, 'ERC20', String(units / E6));
  await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, units);
  await t.devnet.mine(12);
  await t.scan('ERC20:test');
  return d.depositAddress;
}
let merchant: Awaited<ReturnType<typeof t.merchant>> | undefined;
const reconciled = () => expectReconciled(sweeper(), t.app.pool);
const receipt = (hash: string) =>
  t.devnet.request<{ gasUsed: string; effectiveGasPrice: string; status: string }>(
    'eth_getTransactionReceipt',
    [hash],
  );

describe('treasury failure paths', () => {
  it('sends a sweep the node refused again on a later pass, without a second top-up', {
    timeout: 120_000,
  }, async () => {
    await queueIdle(); // the pass the signer queues at start has run: passes here are the test's
    await fundHot(t, HOT.address, 10n ** 19n);
    const address = await deposit('refused', 40n * E6);
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 }); // automine: the top-up is in a block
    const fault = t.devnet.injectFault({ method: 'eth_sendRawTransaction', kind: '503', times: Infinity });
    try {
      // The top-up is mined: the sweep is signed and stored, and the node refuses it, pass after pass.
      await pass();
      await pass();
      const [s] = await sweepsOf(address);
      expect(s).toMatchObject({ status: 'signed' });
      const tx = await t.app.pool.query<{ tx_hash: string; last_error: string | null }>(
        'select tx_hash, last_error from treasury_transactions where id = $1',
        [s!.tx_id],
      );
      expect(tx.rows[0]!.last_error).toBeTruthy();
      expect(await t.devnet.request('eth_getTransactionByHash', [tx.rows[0]!.tx_hash])).toBeNull();
    } finally {
      t.devnet.clearFaults(fault);
    }
    await sweepUntilCompleted(address);
    // One sweep, one top-up, both landed; the tokens are in the hot wallet and the books match the chain.
    const rows = await sweepsOf(address);
    expect(rows).toHaveLength(1);
    const topups = await t.app.pool.query<{ n: number }>(
      `select count(*)::int as n from treasury_transactions where kind = 'topup'`,
    );
    expect(topups.rows[0]!.n).toBe(1);
    expect(await tokenOf(address)).toBe(0n);
    expect(await tokenOf(HOT.address)).toBe(40n * E6);
    await reconciled();
  });

  it('pays an approved withdrawal the hot wallet could not cover once a sweep refills it, once', {
    timeout: 120_000,
  }, async () => {
    // The hot wallet holds 40 USDT (the sweep above); the withdrawal pays 94.
    const m = merchant!;
    const to = Wallet.createRandom().address;
    await t.credit(m, 'payee', '100');
    const created = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'payee', amount: 100, walletAddress: to, network: 'ERC20' },
    });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
    const approved = await t.graphql(
      { bearer: token },
      `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } } }`,
      { id },
    );
    expect(approved.body.data.approveWithdrawal.status).toBe('APPROVED');
    const view = async () =>
      (
        await t.graphql(m, `query($id: ID!) { withdrawal(id: $id) { status waitingReason } }`, {
          id,
        })
      ).body.data.withdrawal;
    const [waiting] = await payoutOnce(t.app);
    expect(waiting).toMatchObject({ sent: 0, waiting: 1 });
    expect(await view()).toMatchObject({
      status: 'APPROVED',
      waitingReason: expect.stringContaining(`can pay ${40n * E6} USDT units on ERC20`),
    });

    // A deposit of 80 is swept: the hot wallet holds 120, and the waiting payout is sent on the next pass.
    const address = await deposit('refill', 80n * E6);
    await sweepUntilCompleted(address);
    expect(await tokenOf(HOT.address)).toBe(120n * E6);
    await payoutOnce(t.app);
    await t.devnet.mine(12);
    await payoutOnce(t.app);
    await payoutOnce(t.app);
    expect(await view()).toMatchObject({ status: 'COMPLETED' });
    expect(await tokenOf(to)).toBe(94n * E6);
    expect(await tokenOf(HOT.address)).toBe(26n * E6);
    const books = await t.app.services.ledger.house.balances({ network: 'ERC20', mode: 'test' });
    expect(books.find((b) => b.asset === 'token' && b.code === 'custody:hot')?.balance).toBe(26n * E6);
    await reconciled();
  });

  it('fails a sweep that reverted on chain, books its gas, tops the address up for what it burned and sweeps it once', {
    timeout: 120_000,
  }, async () => {
    const address = await deposit('reverted', 30n * E6);
    const hotTokens = await tokenOf(HOT.address);
    expect(await pass()).toMatchObject({ planned: 1, toppedUp: 1 }); // automine: the top-up is in a block
    // The sweep is estimated, signed and sent as always; the token refuses it when it runs: mined, status 0.
    t.devnet.injectFault({ kind: 'revert', from: address });
    expect(await pass()).toMatchObject({ signed: 1 });
    const sweepTxs = `select s.id, s.status, s.topup, s.fee_params, s.failure_reason, x.tx_hash
      from sweeps s left join treasury_transactions x on x.id = s.tx_id where s.from_address = $1 order by s.created_at`;
    type Row = {
      id: string;
      status: string;
      topup: string;
      fee_params: Record<string, string>;
      failure_reason: string | null;
      tx_hash: string | null;
    };
    const [first] = (await t.app.pool.query<Row>(sweepTxs, [address])).rows;
    const reverted = await receipt(first!.tx_hash!);
    expect(reverted.status).toBe('0x0');
    const burned = BigInt(reverted.gasUsed) * BigInt(reverted.effectiveGasPrice);
    expect(burned).toBeGreaterThan(0n);

    // Deep enough: the sweep fails and its gas is booked; the same pass plans the address again, and tops it up
    // with what the transfer needs less what is left on it: the gas the reverted one burned.
    // That holds when the plan prices the transfer at the first sweep's fee caps, so the test sets them: the block
    // the pass reads has the base fee that gives those caps (ethers: maxFeePerGas = 2 × base fee + priority fee),
    // and the pass reads that block, not the hot wallet's fee data of up to 2 s before (which may be from any
    // earlier block: twelve empty blocks cut the base fee to a fifth, and on a loaded host the first pass's top-up
    // read the fees again after the cut, so this pass found the leftover enough and planned no top-up).
    await t.devnet.mine(12);
    const caps = first!.fee_params;
    await t.devnet.request('hardhat_setNextBlockBaseFeePerGas', [
      toQuantity((BigInt(caps.maxFeePerGas!) - BigInt(caps.maxPriorityFeePerGas!)) / 2n),
    ]);
    await t.devnet.mine(1);
    const hot = sweeper().deps.wallet as EvmHotWallet;
    const ttl = hot.feeTtlMs;
    hot.feeTtlMs = 0;
    try {
      expect(await pass()).toMatchObject({ failed: 1, planned: 1, toppedUp: 1 });
    } finally {
      hot.feeTtlMs = ttl;
    }
    const [failed, again] = (await t.app.pool.query<Row>(sweepTxs, [address])).rows;
    expect(failed).toMatchObject({ status: 'failed', failure_reason: `${first!.tx_hash} failed on chain` });
    expect(await housePostings(t.app.pool, first!.tx_hash!)).toEqual([
      `fee native custody:deposits→network_fees ${burned}`,
    ]);
    expect(again!.fee_params).toEqual(caps);
    const left = BigInt(first!.topup) - burned;
    expect(BigInt(again!.topup)).toBe(BigInt(again!.fee_params.maxCost!) - left);
    expect(BigInt(again!.topup)).toBe(burned);

    await sweepUntilCompleted(address);
    // Swept once: two transactions from the address (the reverted one and the sweep), the tokens moved once.
    const rows = await sweepsOf(address);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'completed']);
    expect(Number(await t.devnet.request<string>('eth_getTransactionCount', [address, 'latest']))).toBe(2);
    expect(await tokenOf(address)).toBe(0n);
    expect(await tokenOf(HOT.address)).toBe(hotTokens + 30n * E6);
    await reconciled();
  });
});

describe('the hot wallet shared with payouts', () => {
  it('a pass waits for a payout pass to release the hot wallet, then tops up; past the wait it defers and says so', {
    timeout: 120_000,
  }, async () => {
    // Payout passes hold the hot wallet's lock every few seconds; a sweep pass that met one skipped its top-ups
    // and said nothing (the reverted-sweep case above then saw toppedUp 0 now and then in CI).
    const hold = await t.app.pool.connect();
    const lockKey = sweeper().deps.hotLockKey;
    const take = () => hold.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    const release = () => hold.query('select pg_advisory_unlock(hashtext($1))', [lockKey]);
    try {
      const waited = await deposit('busy_hot', 20n * E6);
      await take();
      const running = pass();
      // The pass has planned the sweep and is now at the top-ups, waiting for the lock.
      await vi.waitFor(async () => expect((await sweepsOf(waited))[0]).toMatchObject({ status: 'funding' }), {
        timeout: 30_000,
        interval: 20,
      });
      await release();
      expect(await running).toMatchObject({ planned: 1, toppedUp: 1 });
      expect((await running).fundingDeferred).toBeUndefined();
      await sweepUntilCompleted(waited);

      const deferred = await deposit('busy_hot_long', 20n * E6);
      await take();
      const wait = sweeper().deps.hotLockWaitMs;
      sweeper().deps.hotLockWaitMs = 200;
      try {
        expect(await pass()).toMatchObject({ planned: 1, toppedUp: 0, fundingDeferred: true });
      } finally {
        sweeper().deps.hotLockWaitMs = wait;
        await release();
      }
      expect(await pass()).toMatchObject({ toppedUp: 1 });
      await sweepUntilCompleted(deferred);
      await reconciled();
    } finally {
      hold.release();
    }
  });
});
