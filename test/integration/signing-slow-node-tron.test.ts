import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { type HeldRequest, lockableNow, untilNoIdleWriter, whileHeld } from '../helpers/node-gate.js';
import { untilListable } from '../helpers/outbox.js';
import { approvedWithdrawal } from '../helpers/payout-state.js';
import { payoutOnce } from '../helpers/scan.js';
import { sweepQueueIdle } from '../helpers/treasury.js';
import { useSweptTronApp } from '../helpers/treasury-tron.js';
import { createTronDeposit } from '../helpers/tron.js';

// A slow TRON node holds no database transaction open: the app reaches the devnet through a gate that holds the
// node's building of a transaction (triggersmartcontract for a payout or a sweep; for a top-up, the reference
// block tronweb builds on: getblock), and while one is held the step's rows can be
// locked by anyone, no backend of the app waits inside a transaction that wrote, and what is written meanwhile is
// listable. The node builds before the transaction; inside it the transaction is only signed with the key.

const HOT_KEY = randomBytes(32).toString('hex');
const {
  t,
  hot: HOT,
  pass,
  fund,
  sweepUntil,
} = useSweptTronApp(HOT_KEY, { threshold: '1' }, {}, { gate: true });
const E6 = 1_000_000n;

/** A request to the node at `path` whose body names `owner` (base58 or hex). */
const built =
  (path: string, owner: string) =>
  (r: HeldRequest): boolean =>
    r.path.endsWith(path) &&
    (r.body.includes(owner) || r.body.toLowerCase().includes(TronWeb.address.toHex(owner).toLowerCase()));

describe('signing against a slow TRON node', () => {
  it('a payout has the node build its transfer before it locks the withdrawal', async () => {
    await fund('native', 10_000_000_000n);
    await fund('token', 1_000n * E6);
    const m = await t.merchant();
    const wallet = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;
    const id = await approvedWithdrawal(t, m, { userId: 'payee', credit: '100', amount: 100, wallet });

    const build = t.gate.hold(built('/wallet/triggersmartcontract', HOT));
    await whileHeld(
      build,
      () => payoutOnce(t.app),
      async () => {
        expect(
          await lockableNow(t.app.pool, 'select id from withdrawals where id = $1', [id]),
          'the withdrawal is locked while the node builds',
        ).toBe(true);
        await untilNoIdleWriter(t.app.pool);
        await untilListable(t.app.pool);
      },
    );
    const r = await t.app.pool.query('select status, payout_state from withdrawals where id = $1', [id]);
    expect(r.rows[0]).toEqual({ status: 'processing', payout_state: 'broadcast' });
    const tx = await t.app.pool.query<{ expires_at: Date }>(
      'select expires_at from payout_transactions where withdrawal_id = $1',
      [id],
    );
    expect(tx.rows).toHaveLength(1);
  });

  it('a sweep pass has the node build the top-up and the sweep before it locks the sweep', {
    timeout: 60_000,
  }, async () => {
    await sweepQueueIdle(t, 'TRC20:test'); // the pass the signer queues at start has run: the passes here are the test's
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'payer', 5);
    t.devnet.sendUsdt(d.depositAddress, 5n * E6);
    t.devnet.mine(19);
    await t.scan();
    const sweepLockable = async () => {
      const s = await t.app.pool.query('select id from sweeps where from_address = $1', [d.depositAddress]);
      expect(s.rows).toHaveLength(1);
      expect(
        await lockableNow(t.app.pool, 'select id from sweeps where id = $1', [s.rows[0].id]),
        'the sweep is locked while the node builds',
      ).toBe(true);
    };

    // tronweb builds a TRX transfer itself, on the reference block it asks the node for.
    const topUp = t.gate.hold((r) => r.path.endsWith('/wallet/getblock'));
    const first = await whileHeld(topUp, pass, async () => {
      await sweepLockable();
      await untilNoIdleWriter(t.app.pool);
    });
    expect(first).toMatchObject({ planned: 1, toppedUp: 1 });

    t.devnet.mine();
    const sweep = t.gate.hold(built('/wallet/triggersmartcontract', d.depositAddress));
    const second = await whileHeld(sweep, pass, async () => {
      await sweepLockable();
      await untilNoIdleWriter(t.app.pool);
    });
    expect(second.signed).toBe(1);
    const status = async () =>
      (await t.app.pool.query('select status from sweeps where from_address = $1', [d.depositAddress]))
        .rows[0].status;
    await sweepUntil(async () => (await status()) === 'completed');
    expect(t.devnet.tokenBalance(d.depositAddress)).toBe(0n);
  });
});
