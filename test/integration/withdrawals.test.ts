import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTronApp } from '../helpers/tron.js';

// Withdrawals: the page's example, holds, fees, validation, approval and rejection (the on-chain payout
// worker is not built yet).
const t = useTronApp();
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

async function withdraw(m: TestMerchant, body: Record<string, unknown>, key?: string) {
  return t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  });
}
const balance = async (m: TestMerchant, u: string) =>
  (await t.request({ url: `/api/v1/balance/${u}`, as: m })).body.balance;

const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status audit { action actor } } ... on Error { code message } } }`;
const REJECT = `mutation($id: ID!, $r: String!) { rejectWithdrawal(id: $id, reason: $r) { __typename ... on Withdrawal { status failureReason audit { action actor reason } } ... on Error { code message } } }`;

describe('withdraw/create', () => {
  it("answers the page's example and holds the amount at once", async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '1000');
    const r = await withdraw(m, {
      userId: 'user_8a2f',
      amount: 500,
      walletAddress: WALLET,
      network: 'TRC20',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'pending_approval',
      amount: 500,
      amountUsdt: 470,
      fee: 30,
      networkFee: 1,
    });
    expect(r.body.id).toMatch(/^pay_/);
    expect(await balance(m, 'user_8a2f')).toBe(500);
    const second = await withdraw(m, {
      userId: 'user_8a2f',
      amount: 600,
      walletAddress: WALLET,
      network: 'TRC20',
    });
    expect([second.status, second.body.error.code]).toEqual([400, 'insufficient_funds']);
    const got = await t.request({ url: `/api/v1/withdraw/${r.body.id}`, as: m });
    expect(got.body).toMatchObject({ id: r.body.id, status: 'pending_approval', txHash: null });
    const history = (await t.request({ url: '/api/v1/transactions?userId=user_8a2f&type=withdrawal', as: m }))
      .body;
    expect(history.data[0]).toMatchObject({
      type: 'withdrawal',
      amount: -500,
      balanceBefore: 1000,
      balanceAfter: 500,
    });
  });

  it('refuses a bad address, an unsupported network, too little and too much, holding nothing', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u', '100');
    const cases: [Record<string, unknown>, string, string][] = [
      [{ walletAddress: 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdX' }, 'invalid_address', 'walletAddress'],
      [{ walletAddress: '0x0000000000000000000000000000000000000000' }, 'invalid_address', 'walletAddress'],
      [{ network: 'DOGE' }, 'unsupported_network', 'network'],
      [{ amount: 5 }, 'invalid_amount', 'amount'],
      [{ amount: '1.001' }, 'invalid_amount', 'amount'],
    ];
    for (const [patch, code, param] of cases) {
      const r = await withdraw(m, {
        userId: 'u',
        amount: 50,
        walletAddress: WALLET,
        network: 'TRC20',
        ...patch,
      });
      expect({ patch, status: r.status, code: r.body.error?.code, param: r.body.error?.param }).toEqual({
        patch,
        status: 400,
        code,
        param,
      });
    }
    await t.app.services.merchants.updateSettings(m.merchantId, { withdrawalDailyLimit: '60.00' });
    expect(
      (await withdraw(m, { userId: 'u', amount: 40, walletAddress: WALLET, network: 'TRC20' })).status,
    ).toBe(200);
    const over = await withdraw(m, { userId: 'u', amount: 30, walletAddress: WALLET, network: 'TRC20' });
    expect([over.status, over.body.error.code]).toEqual([400, 'invalid_amount']);
    expect(over.body.error.message).toContain('daily');
    expect(await balance(m, 'u')).toBe(60);
  });

  it('replays with the same idempotency key and holds once', async () => {
    const m = await t.merchant();
    await t.credit(m, 'idem', '100');
    const body = { userId: 'idem', amount: 20, walletAddress: WALLET, network: 'TRC20' };
    const a = await withdraw(m, body, 'w-1');
    const b = await withdraw(m, body, 'w-1');
    expect(b.body).toEqual(a.body);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(await balance(m, 'idem')).toBe(80);
  });
});

describe('approval', () => {
  it('rejection refunds everything, emits payout.failed (rejected) and is audited', async () => {
    const m = await t.merchant();
    await t.credit(m, 'r', '100');
    const w = (await withdraw(m, { userId: 'r', amount: 100, walletAddress: WALLET, network: 'TRC20' })).body;
    expect(await balance(m, 'r')).toBe(0);
    const { token } = await t.app.services.tokens.issueAdmin(60, 'alice');
    const missing = await t.graphql({ bearer: token }, REJECT, { id: w.id, r: ' ' });
    expect(missing.body.data.rejectWithdrawal).toMatchObject({ __typename: 'ValidationError' });
    const res = await t.graphql({ bearer: token }, REJECT, { id: w.id, r: 'looks like fraud' });
    expect(res.body.data.rejectWithdrawal).toMatchObject({
      __typename: 'Withdrawal',
      status: 'REJECTED',
      failureReason: 'rejected',
      audit: [
        expect.objectContaining({ action: 'created' }),
        { action: 'rejected', actor: 'admin:alice', reason: 'looks like fraud' },
      ],
    });
    expect(await balance(m, 'r')).toBe(100);
    const ev = await t.app.pool.query(
      `select payload from events where type = 'payout.failed' and payload->>'id' = $1`,
      [w.id],
    );
    expect(ev.rows[0].payload).toMatchObject({ id: w.id, reason: 'rejected', amount: 100, amountUsdt: 94 });
    const again = await t.graphql({ bearer: token }, APPROVE, { id: w.id });
    expect(again.body.data.approveWithdrawal.__typename).toBe('ValidationError');
  });

  it('20 concurrent approvals make one; merchants need the withdrawals:approve scope', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    const w = (await withdraw(m, { userId: 'a', amount: 50, walletAddress: WALLET, network: 'TRC20' })).body;
    const denied = await t.graphql(m, APPROVE, { id: w.id });
    expect(denied.body.data.approveWithdrawal.__typename).toBe('ForbiddenError');
    const key = await t.app.services.merchants.createKey(m.merchantId, 'test', {
      scopes: ['withdrawals:approve'],
      rateLimitPerSecond: 1000,
    });
    const approver = { ...m, keyId: key.keyId, apiKey: key.apiKey, apiSecret: key.apiSecret };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.graphql(approver, APPROVE, { id: w.id })),
    );
    const kinds = results.map((r) => r.body.data.approveWithdrawal.__typename);
    expect(kinds.filter((k) => k === 'Withdrawal')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ValidationError')).toHaveLength(19);
    const audit = await t.app.services.withdrawals.auditTrail(w.id);
    // (the payout worker of this app may already have signed it: later entries are its own)
    expect(audit.slice(0, 2).map((a) => a.action)).toEqual(['created', 'approved']);
    expect(audit[1]!.actor).toBe(`key:${key.keyId}`);
    expect(await balance(m, 'a')).toBe(50);
  });

  it("admins list and read every merchant's withdrawals; merchants only their own", async () => {
    const [a, b] = [await t.merchant(), await t.merchant()];
    await t.credit(a, 'x', '100');
    await t.credit(b, 'y', '100');
    const wa = (await withdraw(a, { userId: 'x', amount: 30, walletAddress: WALLET, network: 'TRC20' })).body;
    const wb = (await withdraw(b, { userId: 'y', amount: 40, walletAddress: WALLET, network: 'TRC20' })).body;
    const { token } = await t.app.services.tokens.issueAdmin(60, 'alice');
    const LIST = `query($f: WithdrawalFilter) { withdrawals(first: 100, filter: $f) { totalCount edges { node { id merchantId mode status } } } }`;
    const all = (await t.graphql({ bearer: token }, LIST, { f: { status: 'PENDING_APPROVAL' } })).body.data
      .withdrawals;
    const ids = all.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toEqual(expect.arrayContaining([wa.id, wb.id]));
    const onlyB = (
      await t.graphql({ bearer: token }, LIST, { f: { merchantId: b.merchantId, mode: 'TEST' } })
    ).body.data.withdrawals;
    expect(onlyB.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([wb.id]);
    const one = await t.graphql(
      { bearer: token },
      `query($id: ID!) { withdrawal(id: $id) { id merchantId amount } }`,
      {
        id: wa.id,
      },
    );
    expect(one.body.data.withdrawal).toEqual({ id: wa.id, merchantId: a.merchantId, amount: '30.00' });
    const mine = (await t.graphql(a, LIST, {})).body.data.withdrawals;
    expect(mine.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([wa.id]);
    const foreign = await t.graphql(a, `query($id: ID!) { withdrawal(id: $id) { id } }`, { id: wb.id });
    expect(foreign.body.data.withdrawal).toBeNull();
  });
});
