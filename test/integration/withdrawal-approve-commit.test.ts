import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createdWithdrawal } from '../helpers/payout-state.js';
import { useTronApp } from '../helpers/tron.js';

// An approval whose COMMIT lands but whose answer is lost (the connection ends just after PostgreSQL committed,
// as in a failover or pg_terminate_backend at that moment) was answered 500, hiding a committed approval; a
// retry then got 400 "is approved, not pending approval", so the approver could not tell that it was theirs.
// A lost COMMIT answer is now settled by PostgreSQL's record of the transaction (inTransaction): committed, the
// approval is answered.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } ... on Error { code } } }`;

/**
 * The next connection checked out of the app's pool (pool.query's own checkouts pass by) sends its COMMIT, or a
 * ROLLBACK in its place with `rollback`, and then fails as if the connection had ended before the answer.
 */
function loseNextCommitAnswer(opts: { rollback?: boolean } = {}): void {
  const pool = t.app.pool as unknown as { connect: (...a: unknown[]) => unknown };
  const connect = pool.connect;
  pool.connect = function (this: unknown, ...args: unknown[]) {
    if (args.length > 0) return connect.apply(pool, args);
    pool.connect = connect;
    return (connect.call(pool) as Promise<pg.PoolClient>).then((client) => {
      const query = client.query as (...a: unknown[]) => Promise<unknown>;
      client.query = ((...a: unknown[]) => {
        if (a[0] !== 'commit') return query.apply(client, a);
        client.query = query as typeof client.query;
        return query.call(client, opts.rollback ? 'rollback' : 'commit').then(() => {
          throw new Error('Connection terminated unexpectedly');
        });
      }) as typeof client.query;
      return client;
    });
  };
}

/** A new merchant's user with 100 Stars and a withdrawal of 50 waiting for approval: its id. */
async function pendingWithdrawal(userId: string): Promise<string> {
  return createdWithdrawal(t, await t.merchant(), { userId, credit: '100', amount: 50, wallet: WALLET });
}

describe('an approval whose COMMIT answer is lost', () => {
  it('is answered as the approval it was, not 500', async () => {
    const id = await pendingWithdrawal('lost');
    const { token } = await t.app.services.tokens.issueAdmin(60, 'alice');
    loseNextCommitAnswer();
    const r = await t.graphql({ bearer: token }, APPROVE, { id: id });
    expect([r.status, r.body.data?.approveWithdrawal ?? r.body.errors]).toEqual([
      200,
      { __typename: 'Withdrawal', status: 'APPROVED' },
    ]);
    const audit = await t.app.services.withdrawals.auditTrail(id);
    expect(audit.map((a) => a.action)).toEqual(['created', 'approved']);
  });

  it('is still an error when nothing was committed', async () => {
    const id = await pendingWithdrawal('lost2');
    const { token } = await t.app.services.tokens.issueAdmin(60, 'alice');
    loseNextCommitAnswer({ rollback: true });
    const r = await t.graphql({ bearer: token }, APPROVE, { id: id });
    expect(r.body.data?.approveWithdrawal?.__typename).not.toBe('Withdrawal');
    const row = await t.app.pool.query('select status from withdrawals where id = $1', [id]);
    expect(row.rows[0].status).toBe('pending_approval');
  });
});
