import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/database.js';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { allocateHotNonce, PayoutStore, PREPARED_TTL_MS } from '../../src/modules/payouts/index.js';
import { fundHot, requestDeposit } from '../helpers/evm.js';
import { lockableNow, rpcCall, untilNoIdleWriter, whileHeld } from '../helpers/node-gate.js';
import { untilListable } from '../helpers/outbox.js';
import { approvedWithdrawal, createdWithdrawal } from '../helpers/payout-state.js';
import { payoutOnce } from '../helpers/scan.js';
import { useSweptEvmApp } from '../helpers/treasury.js';

// A slow EVM node holds no database transaction open: the app reaches hardhat through a gate that holds the
// node calls a signing step makes (the nonce seed from the pending count, the top-up's gas estimate), and while
// one is held the step's rows can be locked by anyone, no backend of the app waits inside a transaction that
// wrote, and an event written meanwhile is listable. The node is asked before the transaction; inside it the
// rows are locked, the nonce allocated, the transaction signed with the key and stored. What was prepared too long
// before the lock is dropped unstored, and a stored nonce counter wins over a seed read before it.

const HOT = Wallet.createRandom();
const { t, pass, queueIdle } = useSweptEvmApp(
  HOT.privateKey,
  { threshold: '1', disperse: DISPERSE_ADDRESS },
  { gate: true },
);
const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

describe('signing against a slow EVM node', () => {
  it('a payout asks the node for its nonce seed before it locks the withdrawal and the nonce counter', async () => {
    await fundHot(t, HOT.address, 10n ** 19n, 1_000n * 1_000_000n);
    const m = await t.merchant();
    const wallet = Wallet.createRandom().address;
    const id = await approvedWithdrawal(t, m, {
      userId: 'payee',
      credit: '100',
      amount: 100,
      wallet,
      network: 'ERC20',
    });

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
        await untilNoIdleWriter(t.app.pool);
        // What is written now is listable in `events` now, not once the node answers.
        await untilListable(t.app.pool);
      },
    );
    const r = await t.app.pool.query(
      'select status, payout_state, payout_nonce::int as nonce from withdrawals where id = $1',
      [id],
    );
    // Sent with nonce 0; the devnet mines at once, so the pass may already have seen it mined (confirming).
    expect(r.rows[0]).toMatchObject({ status: 'processing', nonce: 0 });
    expect(['broadcast', 'confirming']).toContain(r.rows[0].payout_state);
    const counter = await t.app.pool.query(
      'select next_nonce::int as n from hot_wallets where address = $1',
      [HOT.address],
    );
    expect(counter.rows[0].n).toBe(1);
  });

  it('a sweep pass asks the node for the top-up gas and the address nonce seed before it locks the sweep', {
    timeout: 60_000,
  }, async () => {
    await queueIdle(); // the pass the signer queues at start has run: the passes here are the test's
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
      await untilNoIdleWriter(t.app.pool);
    });
    expect(first).toMatchObject({ planned: 1, toppedUp: 1 });

    // The sweep itself: the deposit address has no nonce counter yet, so its pending count is read first.
    const seed = t.gate.hold(rpcCall('eth_getTransactionCount', (p) => same(p[0], d.depositAddress)));
    const second = await whileHeld(seed, pass, async () => {
      await sweepLockable();
      await untilNoIdleWriter(t.app.pool);
    });
    expect(second.signed).toBe(1);
    const s = await t.app.pool.query(
      `select s.status, x.nonce::int as nonce from sweeps s join treasury_transactions x on x.id = s.tx_id
       where s.from_address = $1`,
      [d.depositAddress],
    );
    expect(s.rows[0]).toEqual({ status: 'broadcast', nonce: 0 });
  });

  it('what was prepared too long before the lock is not used; a stored nonce counter wins over a seed', async () => {
    const m = await t.merchant();
    const wallet = [...t.app.workers!.payouts.processors.values()].find(
      (p) => p.wallet.family === 'evm',
    )!.wallet;
    const id = await createdWithdrawal(t, m, {
      userId: 'late',
      credit: '100',
      amount: 100,
      wallet: Wallet.createRandom().address,
      network: 'ERC20',
    });
    // Approved without the worker's notification, so no pass takes it first.
    const w = await t.app.pool.query(`update withdrawals set status = 'approved' where id = $1 returning *`, [
      id,
    ]);
    const counter = async () =>
      (await t.app.pool.query('select next_nonce::int as n from hot_wallets where key = $1', [wallet.key]))
        .rows[0].n as number;
    const before = await counter();
    let signed = false;
    const stale = await new PayoutStore(t.app.pool).recordSigned(w.rows[0], wallet, {
      sign: async () => {
        signed = true;
        throw new Error('a stale preparation is never signed');
      },
      seed: null,
      at: Date.now() - PREPARED_TTL_MS - 1_000,
    });
    expect(stale).toBeNull();
    expect(signed).toBe(false);
    const after = await t.app.pool.query('select status, payout_nonce from withdrawals where id = $1', [id]);
    expect(after.rows[0]).toEqual({ status: 'approved', payout_nonce: null });
    const txs = await t.app.pool.query('select 1 from payout_transactions where withdrawal_id = $1', [id]);
    expect(txs.rowCount).toBe(0);
    expect(await counter()).toBe(before);

    // A counter that appeared after the seed was read wins; without a counter, the seed starts it.
    const key = `evm:31337:${Wallet.createRandom().address}`;
    await t.app.pool.query(`insert into hot_wallets (key, family, address) values ($1, 'evm', $2)`, [
      key,
      key.split(':')[2],
    ]);
    const take = (seed: bigint | null) => inTransaction(t.app.pool, (c) => allocateHotNonce(c, key, seed));
    await expect(take(null)).rejects.toThrow(/no nonce counter/);
    expect(await take(7n)).toBe(7n);
    expect(await take(2n)).toBe(8n);
    expect(await take(null)).toBe(9n);
    await t.app.pool.query('delete from hot_wallets where key = $1', [key]);
  });
});
