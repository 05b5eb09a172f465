import { describe, expect, it } from 'vitest';
import { completePayout, failPayout } from '../../src/modules/payouts/settle.js';
import type { TestMerchant } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { broadcastPayout } from '../helpers/payout-state.js';
import { useTronApp } from '../helpers/tron.js';

// Decisions that move money are guarded by a row lock taken in the ledger batch's transaction, but concurrent
// decisions on one withdrawal can land in the same batch, where every guard ran before any `after` hook changed
// the row: two rejections of one withdrawal both read pending_approval, both answered the rejected
// withdrawal, and the user was refunded twice (money out of nothing, the hold account below zero). A guard now
// claims its withdrawal for the batch's transaction: the second is refused like one that came after.
// One batch in flight at a time, so that the decisions queued behind a blocked one go together.
const t = useTronApp({ ledgerMaxInFlight: 1 }, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
// The hot wallet the payout is sent from: never the user's wallet (payouts to the service's own addresses are refused).
const HOT_WALLET = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';

/** How many items wait in the ledger's batcher (not started yet). */
const queued = () =>
  (t.app.services.ledger as unknown as { batcher: { queue: unknown[] } }).batcher.queue.length;

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Runs `decide` while the ledger's only batch slot is held by a transfer blocked on a locked account, and
 * lets it go once `n` items wait behind it: they are then posted in one batch.
 */
async function inOneBatch<T>(m: TestMerchant, n: number, decide: () => Promise<T>[]): Promise<T[]> {
  await t.credit(m, 'blocker', '10');
  const lock = await t.app.pool.connect();
  try {
    await lock.query('begin');
    await lock.query(
      `select id from accounts where merchant_id = $1 and kind = 'user' and code = 'blocker' for update`,
      [m.merchantId],
    );
    const before = t.app.services.ledger.batchStats.batches;
    const blocked = t.app.services.ledger.transfer(
      { merchantId: m.merchantId, mode: m.mode },
      { fromUserId: 'blocker', toUserId: 'x', amount: 1 },
    );
    await until(
      () => t.app.services.ledger.batchStats.batches > before && queued() === 0,
      'the blocked batch',
    );
    const decisions = decide();
    await until(() => queued() === n, 'the decisions to queue');
    await lock.query('rollback');
    await blocked;
    return await Promise.all(decisions);
  } finally {
    lock.release();
  }
}

async function withdrawal(m: TestMerchant, user: string, amount: number): Promise<string> {
  const r = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: user, amount, walletAddress: WALLET, network: 'TRC20' },
  });
  expect(r.status).toBe(200);
  return r.body.id;
}

const refunds = async (m: TestMerchant) =>
  (
    await t.app.pool.query<{ n: number }>(
      `select count(*)::int as n from ledger_transactions where type = 'refund' and merchant_id = $1`,
      [m.merchantId],
    )
  ).rows[0]!.n;

describe('decisions on one withdrawal in one ledger batch', () => {
  it('refund a withdrawal rejected concurrently once', async () => {
    const m = await t.merchant();
    await t.credit(m, 'twice', '1000');
    const id = await withdrawal(m, 'twice', 100);
    const tenant = { merchantId: m.merchantId, mode: m.mode };
    const outcomes = await inOneBatch(m, 4, () =>
      Array.from({ length: 4 }, () =>
        t.app.services.withdrawals.reject(tenant, id, 'admin:test', 'no').then(
          () => 'rejected',
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(outcomes.sort()).toEqual(['invalid_request', 'invalid_request', 'invalid_request', 'rejected']);
    expect(await refunds(m)).toBe(1);
    expect((await t.request({ url: '/api/v1/balance/twice', as: m })).body.balance).toBe(1000);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('settle a payout once when its completion and its failure race', async () => {
    const m = await t.merchant();
    await t.credit(m, 'paid', '1000');
    const id = await withdrawal(m, 'paid', 100);
    await t.app.services.withdrawals.approve({ merchantId: m.merchantId, mode: m.mode }, id, 'admin:test');
    // As the payout worker leaves it once its transaction is broadcast.
    const { w, tx } = await broadcastPayout(t.app.pool, id, HOT_WALLET);
    const settled = await inOneBatch(m, 2, () => [
      completePayout(t.app.services.ledger, w, tx, 10, 20, 1n),
      failPayout(t.app.services.ledger, w, tx, 10, 'chain_failed', 'reverted', 1n),
    ]);
    expect(settled.filter(Boolean)).toHaveLength(1);
    const status = (await t.app.pool.query('select status from withdrawals where id = $1', [id])).rows[0];
    const balance = (await t.request({ url: '/api/v1/balance/paid', as: m })).body.balance;
    // Either paid out (the hold left) or refunded (the user has it back): never both.
    expect([status.status, balance, await refunds(m)]).toEqual(
      settled[0] ? ['completed', 900, 0] : ['failed', 1000, 1],
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });
});
