import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { fundHot, requestDeposit } from '../helpers/evm.js';
import { idleWriters, lockableNow, rpcCall, whileHeld } from '../helpers/node-gate.js';
import { untilListable } from '../helpers/outbox.js';
import { eventually } from '../helpers/receiver.js';
import { payoutOnce } from '../helpers/scan.js';
import { useSweptEvmApp } from '../helpers/treasury.js';

// A slow EVM node holds no database transaction open: the app reaches hardhat through a gate that holds the
// node calls a signing step makes (the nonce seed from the pending count, the top-up's gas estimate), and while
// one is held the step's rows can be locked by anyone, no backend of the app waits inside a transaction that
// wrote, and an event written meanwhile is listable. The node is asked before the transaction; inside it the
// rows are locked, the nonce allocated, the transaction signed with the key and stored.

const HOT = Wallet.createRandom();
const { t, pass } = useSweptEvmApp(
  HOT.privateKey,
  { threshold: '1', disperse: DISPERSE_ADDRESS },
  { gate: true },
);
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } } }`;
const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** Nothing of the app waits on the node inside a transaction that wrote (it may take a moment to end). */
async function noIdleWriter() {
  await eventually(async () => {
    expect(await idleWriters(t.app.pool)).toEqual([]);
    return true;
  });
}

describe('signing against a slow EVM node', () => {
  it('a payout asks the node for its nonce seed before it locks the withdrawal and the nonce counter', async () => {
    await fundHot(t, HOT.address, 10n ** 19n, 1_000n * 1_000_000n);
    const m = await t.merchant();
    await t.credit(m, 'payee', '100');
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'payee', amount: 100, walletAddress: Wallet.createRandom().address, network: 'ERC20' },
    });
    expect(w.status).toBe(200);
    const id = w.body.id as string;
    const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
    const ok = await t.graphql({ bearer: token }, APPROVE, { id });
    expect(ok.body.data.approveWithdrawal.status).toBe('APPROVED');

    // The database has no nonce counter for this wallet yet: the pass reads the node's pending count.
    const seed = t.gate.hold(rpcCall('eth_getTransactionCount', (p) => same(p[0], HOT.address)));
    await whileHeld(
      seed,
      () => payoutOnce(t.app),
      async () => {
        expect(
          await lockableNow(t.app.pool, 'select id from withdrawals where id = $1', [id]),
          'the withdrawal is locked while the node is asked',
        ).toBe(true);
        expect(
          await lockableNow(t.app.pool, 'select key from hot_wallets where address = $1', [HOT.address]),
          'the nonce counter is locked while the node is asked',
        ).toBe(true);
        await noIdleWriter();
        // What is written now is listable in `events` now, not once the node answers.
        await untilListable(t.app.pool);
      },
    );
    const r = await t.app.pool.query(
      'select status, payout_state, payout_nonce::int as nonce from withdrawals where id = $1',
      [id],
    );
    expect(r.rows[0]).toEqual({ status: 'processing', payout_state: 'broadcast', nonce: 0 });
    const counter = await t.app.pool.query(
      'select next_nonce::int as n from hot_wallets where address = $1',
      [HOT.address],
    );
    expect(counter.rows[0].n).toBe(1);
  });

  it('a sweep pass asks the node for the top-up gas and the address nonce seed before it locks the sweep', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    const d = await requestDeposit(t, m, 'payer', 'ERC20', '5');
    await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, 5_000_000n);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');
    const sweepLockable = async () => {
      const s = await t.app.pool.query('select id from sweeps where from_address = $1', [d.depositAddress]);
      expect(s.rows).toHaveLength(1);
      expect(
        await lockableNow(t.app.pool, 'select id from sweeps where id = $1', [s.rows[0].id]),
        'the sweep is locked while the node is asked',
      ).toBe(true);
    };

    // The top-up through Disperse: its gas is estimated while nothing is locked.
    const gas = t.gate.hold(
      rpcCall('eth_estimateGas', (p) => same((p[0] as { to?: string })?.to, DISPERSE_ADDRESS)),
    );
    const first = await whileHeld(gas, pass, async () => {
      await sweepLockable();
      expect(
        await lockableNow(t.app.pool, 'select key from hot_wallets where address = $1', [HOT.address]),
      ).toBe(true);
      await noIdleWriter();
    });
    expect(first).toMatchObject({ planned: 1, toppedUp: 1 });

    // The sweep itself: the deposit address has no nonce counter yet, so its pending count is read first.
    const seed = t.gate.hold(rpcCall('eth_getTransactionCount', (p) => same(p[0], d.depositAddress)));
    const second = await whileHeld(seed, pass, async () => {
      await sweepLockable();
      await noIdleWriter();
    });
    expect(second.signed).toBe(1);
    const s = await t.app.pool.query(
      `select s.status, x.nonce::int as nonce from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.from_address = $1`,
      [d.depositAddress],
    );
    expect(s.rows[0]).toEqual({ status: 'broadcast', nonce: 0 });
  });
});
