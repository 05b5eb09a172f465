import { describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { useTronApp } from '../helpers/tron.js';

// Decisions that move money are guarded by a row lock taken in the ledger batch's transaction, but concurrent
// decisions on one withdrawal can land in the same batch, where every guard ran before any `after` hook changed
// the row: two rejections of one withdrawal both read pending_approval, both answered the rejected
// withdrawal, and the user was refunded twice (money out of nothing, the hold account below zero). A guard now
// claims its withdrawal for the batch's transaction: the second is refused like one that came after.
// One batch in flight at a time, so that the rejections queued behind a blocked one go together.
const t = useTronApp({ ledgerMaxInFlight: 1 }, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

/** How many items wait in the ledger's batcher (not started yet). */
const queued = () =>
  (t.app.services.ledger as unknown as { batcher: { queue: unknown[] } }).batcher.queue.length;

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('concurrent rejections of one withdrawal', () => {
  it('refund it once when they land in one ledger batch', async () => {
    const m = await t.merchant();
    await t.credit(m, 'twice', '1000');
    await t.credit(m, 'blocker', '10');
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'twice', amount: 100, walletAddress: WALLET, network: 'TRC20' },
    });
    expect(w.status).toBe(200);
    const tenant = { merchantId: m.merchantId, mode: m.mode };
    // A transfer blocked on a locked account keeps the only batch slot busy while the rejections queue.
    const lock = await t.app.pool.connect();
    await lock.query('begin');
    await lock.query(
      `select id from accounts where merchant_id = $1 and kind = 'user' and code = 'blocker' for update`,
      [m.merchantId],
    );
    const blocked = t.app.services.ledger.transfer(tenant, {
      fromUserId: 'blocker',
      toUserId: 'x',
      amount: 1,
    });
    await until(() => queued() === 0 && t.app.services.ledger.batchStats.batches > 0, 'the blocked batch');
    const rejections = Array.from({ length: 4 }, () =>
      t.app.services.withdrawals.reject(tenant, w.body.id, 'admin:test', 'no').then(
        () => 'rejected',
        (e: { code?: string }) => e.code,
      ),
    );
    await until(() => queued() === 4, 'the rejections to queue');
    await lock.query('rollback');
    lock.release();
    await blocked;
    expect((await Promise.all(rejections)).sort()).toEqual([
      'invalid_request',
      'invalid_request',
      'invalid_request',
      'rejected',
    ]);
    const refunds = await t.app.pool.query<{ n: number }>(
      `select count(*)::int as n from ledger_transactions where type = 'refund' and merchant_id = $1`,
      [m.merchantId],
    );
    expect(refunds.rows[0]!.n).toBe(1);
    expect((await t.request({ url: '/api/v1/balance/twice', as: m })).body.balance).toBe(1000);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });
});
