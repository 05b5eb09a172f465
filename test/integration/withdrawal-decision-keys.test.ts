import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { createdWithdrawal } from '../helpers/payout-state.js';
import { useTronApp } from '../helpers/tron.js';

// approveWithdrawal and rejectWithdrawal take an Idempotency-Key (`idempotencyKey`), as every other money-moving
// write does. Without it an approver whose answer was lost and who sent the decision again was told 400 "is
// approved, not pending approval": right about the state, silent about whose decision it was. With it the
// retry gets the first answer; the Stars still move once.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const RESULT = `__typename ... on Withdrawal { id status failureReason replayed } ... on Error { code message }`;
const APPROVE = `mutation($id: ID!, $key: String) { approveWithdrawal(id: $id, idempotencyKey: $key) { ${RESULT} } }`;
const REJECT = `mutation($id: ID!, $key: String) {
  rejectWithdrawal(id: $id, reason: "not this wallet", idempotencyKey: $key) { ${RESULT} } }`;

const pending = (m: TestMerchant, userId: string) =>
  createdWithdrawal(t, m, { userId, credit: '100', amount: 50, wallet: WALLET });

async function admin() {
  return { bearer: (await t.app.services.tokens.issueAdmin(60, 'alice')).token };
}

const balance = async (m: TestMerchant, user: string) =>
  (await t.request({ url: `/api/v1/balance/${user}`, as: m })).body.balance;

describe('withdrawal decisions with an idempotency key', () => {
  it('answer a repeated approval with the approval, and the same key on another withdrawal is refused', async () => {
    const m = await t.merchant();
    const id = await pending(m, 'dk_a');
    const as = await admin();
    const first = (await t.graphql(as, APPROVE, { id, key: 'approve-1' })).body.data.approveWithdrawal;
    expect(first).toEqual({
      __typename: 'Withdrawal',
      id,
      status: 'APPROVED',
      failureReason: null,
      replayed: false,
    });
    const again = (await t.graphql(as, APPROVE, { id, key: 'approve-1' })).body.data.approveWithdrawal;
    expect(again).toEqual({ ...first, replayed: true });
    // Without the key the state speaks, as before.
    const bare = (await t.graphql(as, APPROVE, { id })).body.data.approveWithdrawal;
    expect([bare.__typename, bare.code]).toEqual(['ValidationError', 'invalid_request']);
    const other = await pending(m, 'dk_b');
    const reused = (await t.graphql(as, APPROVE, { id: other, key: 'approve-1' })).body.data
      .approveWithdrawal;
    expect(reused.__typename).toBe('IdempotencyError');
    const audit = await t.app.services.withdrawals.auditTrail(id);
    expect(audit.map((a) => a.action)).toEqual(['created', 'approved']);
  });

  it('answer a repeated rejection with the rejection and refund the Stars once', async () => {
    const m = await t.merchant();
    const id = await pending(m, 'dk_r');
    expect(await balance(m, 'dk_r')).toBe(50);
    const as = await admin();
    const first = (await t.graphql(as, REJECT, { id, key: 'reject-1' })).body.data.rejectWithdrawal;
    expect(first).toEqual({
      __typename: 'Withdrawal',
      id,
      status: 'REJECTED',
      failureReason: 'rejected',
      replayed: false,
    });
    const again = (await t.graphql(as, REJECT, { id, key: 'reject-1' })).body.data.rejectWithdrawal;
    expect(again).toEqual({ ...first, replayed: true });
    expect(await balance(m, 'dk_r')).toBe(100);
    // A refusal is the key's answer too: approving a rejected withdrawal, then the same again.
    const refused = (await t.graphql(as, APPROVE, { id, key: 'approve-after' })).body.data.approveWithdrawal;
    expect([refused.__typename, refused.code]).toEqual(['ValidationError', 'invalid_request']);
    const replayed = (await t.graphql(as, APPROVE, { id, key: 'approve-after' })).body.data.approveWithdrawal;
    expect(replayed).toEqual(refused);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('decide once when the same keyed decision is sent ten times at once', async () => {
    const m = await t.merchant();
    const id = await pending(m, 'dk_c');
    const as = await admin();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.graphql(as, REJECT, { id, key: 'reject-burst' })),
    );
    const kinds = answers.map(
      (a) => a.body.data.rejectWithdrawal.__typename ?? a.body.data.rejectWithdrawal.code,
    );
    // Each is the rejection, or (while the first is still running) request_in_progress: never a second refund.
    for (const a of answers) {
      const r = a.body.data.rejectWithdrawal;
      if (r.__typename !== 'Withdrawal')
        expect([r.__typename, r.code]).toEqual(['IdempotencyError', 'request_in_progress']);
    }
    expect(kinds).toContain('Withdrawal');
    expect(await balance(m, 'dk_c')).toBe(100);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it("keep an admin's keys apart from the merchant's and from other admins'", async () => {
    const m = await t.merchant();
    // The merchant's own key, on the request that created the withdrawal.
    await t.credit(m, 'dk_ns', '100');
    const created = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'dk_ns', amount: 50, walletAddress: WALLET, network: 'TRC20' },
      headers: { 'idempotency-key': 'shared-1' },
    });
    expect(created.status).toBe(200);
    const alice = await admin();
    const approved = (await t.graphql(alice, APPROVE, { id: created.body.id, key: 'shared-1' })).body.data
      .approveWithdrawal;
    expect([approved.__typename, approved.status, approved.replayed]).toEqual([
      'Withdrawal',
      'APPROVED',
      false,
    ]);
    // Another admin with the same text: their own key, so the state answers, not alice's stored approval.
    const bob = { bearer: (await t.app.services.tokens.issueAdmin(60, 'bob')).token };
    const again = (await t.graphql(bob, APPROVE, { id: created.body.id, key: 'shared-1' })).body.data
      .approveWithdrawal;
    expect([again.__typename, again.code]).toEqual(['ValidationError', 'invalid_request']);
  });
});
