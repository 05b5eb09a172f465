import { beforeAll, describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';
import { keyInit, untilLive, wsClient } from '../helpers/ws.js';

// `transactionCreated` sends "the same fields as a UserTransaction" (schema/subscription.ts): a wallet page
// appends the live row to the history it listed. A credited deposit's live row had no toUserId, description
// or metadata, where its history row names the user, `Deposit dep_…` and {depositId, txHash, network}.

const t = useTronApp({ outboxPollMs: 100 });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const USDT = 1_000_000n;
const FIELDS =
  'type amount direction balanceBefore balanceAfter fromUserId toUserId description metadata createdAt';

/** The user's newest `n` history rows, shaped as the live rows are (`id` for `transactionId`). */
async function history(m: TestMerchant, userId: string, n: number) {
  const r = await t.graphql(
    m,
    `{ user(userId: "${userId}") { transactions(first: ${n}) { edges { node { transactionId ${FIELDS} } } } } }`,
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data.user.transactions.edges.map(({ node: { transactionId, ...row } }: any) => ({
    id: transactionId,
    ...row,
  }));
}

/** A live `transactionCreated` subscription for the user, receiving once this returns. */
async function live(m: TestMerchant, userId: string) {
  const c = wsClient(wsUrl, keyInit(m));
  const rows = c.subscribe<any>(`subscription { transactionCreated(userId: "${userId}") { id ${FIELDS} } }`);
  await untilLive(c, 'probe', () => t.credit(m, 'probe', '1'));
  return { c, rows };
}

describe('transactionCreated for credits', () => {
  it("a credited deposit's live row is its history row", async () => {
    const m = await t.merchant();
    const { c, rows } = await live(m, 'erin');
    const d = await createTronDeposit(t, m, 'erin', 10);
    const txHash = await t.devnet.sendUsdt(d.depositAddress, 10n * USDT);
    t.devnet.mine(20);
    await t.scan();
    await eventually(() => rows.values.length === 1);
    const listed = await history(m, 'erin', 1);
    expect(listed[0]).toMatchObject({
      type: 'DEPOSIT',
      fromUserId: null,
      toUserId: 'erin',
      description: `Deposit ${d.id}`,
      metadata: { depositId: d.id, txHash, network: 'TRC20' },
    });
    expect(rows.values.map((v) => v.transactionCreated)).toEqual(listed);
    await c.dispose();
  });

  it("a credited unexpected payment's live row is its history row (type, description, metadata)", async () => {
    const m = await t.merchant();
    const { c, rows } = await live(m, 'finn');
    const d = await createTronDeposit(t, m, 'finn', 5);
    const txHash = t.devnet.sendTrx(d.depositAddress, 2_000_000n);
    t.devnet.mine(2);
    await t.scan();
    const admin = { bearer: (await t.app.services.tokens.issueAdmin(600, 'live-rows')).token };
    const funds = await t.graphql(
      admin,
      `{ unexpectedFunds(first: 5, filter: { merchantId: "${m.merchantId}" }) { edges { node { unexpectedFundId } } } }`,
    );
    expect(funds.body.errors).toBeUndefined();
    const [fund] = funds.body.data.unexpectedFunds.edges;
    const resolved = await t.graphql(
      admin,
      `mutation($id: ID!, $in: ResolveUnexpectedFundInput!) { resolveUnexpectedFund(unexpectedFundId: $id, input: $in) { __typename } }`,
      { id: fund.node.unexpectedFundId, in: { action: 'CREDIT', amount: '2.50', reason: 'sent TRX' } },
    );
    expect(resolved.body.data.resolveUnexpectedFund.__typename).toBe('UnexpectedFund');
    await eventually(() => rows.values.length === 1);
    const listed = await history(m, 'finn', 1);
    expect(listed[0]).toMatchObject({
      type: 'ADJUSTMENT',
      toUserId: 'finn',
      description: `Unexpected payment ${txHash}: sent TRX`,
      metadata: {
        unexpectedFundId: fund.node.unexpectedFundId,
        txHash,
        chain: 'TRC20:test',
        actor: 'admin:live-rows',
      },
    });
    expect(rows.values.map((v) => v.transactionCreated)).toEqual(listed);
    await c.dispose();
  });
});
