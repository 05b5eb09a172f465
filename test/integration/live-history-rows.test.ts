import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, untilLive, wsClient } from '../helpers/ws.js';

// `transactionCreated` sends "the same fields as a UserTransaction" (schema/subscription.ts): a wallet page
// appends the live row to the history it listed, so the two must agree. An adjustment's live row said
// fromUserId and toUserId null and no description, where its history row names the user and the reason.

const t = useTestApp({ outboxPollMs: 100 }, { role: 'all' });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const FIELDS =
  'type amount direction balanceBefore balanceAfter fromUserId toUserId description metadata createdAt';
const ADJUST = `mutation($input: AdjustBalanceInput!, $key: String!) { adjustBalance(input: $input, idempotencyKey: $key) { __typename } }`;

describe('transactionCreated', () => {
  it("an adjustment's live row has the fields of its history row (credit and debit)", async () => {
    const m = await t.merchant();
    const c = wsClient(wsUrl, keyInit(m));
    const live = c.subscribe<any>(`subscription { transactionCreated(userId: "carol") { id ${FIELDS} } }`);
    await untilLive(c, 'probe', () => t.credit(m, 'probe', '1'));
    const admin = { bearer: (await t.app.services.tokens.issueAdmin(600, 'live-rows')).token };
    for (const direction of ['CREDIT', 'DEBIT']) {
      const input = {
        merchantId: m.merchantId,
        mode: 'TEST',
        userId: 'carol',
        amount: '5',
        direction,
        reason: 'ticket 7',
      };
      const r = await t.graphql(admin, ADJUST, { input, key: `live-rows-${direction}` });
      expect(r.body.data.adjustBalance.__typename).toBe('Adjustment');
    }
    await eventually(() => live.values.length === 2);
    const history = await t.graphql(
      m,
      `{ user(userId: "carol") { transactions(first: 2) { edges { node { transactionId ${FIELDS} } } } } }`,
    );
    const rows = history.body.data.user.transactions.edges.map(
      ({ node: { transactionId, ...row } }: any) => ({
        id: transactionId,
        ...row,
      }),
    );
    expect(live.values.map((v) => v.transactionCreated).reverse()).toEqual(rows);
    expect(rows.map((r: any) => [r.fromUserId, r.toUserId, r.description, r.metadata])).toEqual([
      ['carol', null, 'ticket 7', { actor: 'admin:live-rows' }],
      [null, 'carol', 'ticket 7', { actor: 'admin:live-rows' }],
    ]);
    await c.dispose();
  });
});
