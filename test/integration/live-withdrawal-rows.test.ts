import { beforeAll, describe, expect, it } from 'vitest';
import { untilPublished } from '../helpers/outbox.js';
import { eventually } from '../helpers/receiver.js';
import { useTronApp } from '../helpers/tron.js';
import { keyInit, untilLive, wsClient } from '../helpers/ws.js';

// `balanceUpdated` is "the user's balance after every movement" and `transactionCreated` "each new movement"
// (docs/graphql.md): a wallet page shows them live. A withdrawal holds the user's Stars at once, and a rejected
// or failed one gives them back, but neither sent a live message: the page kept the balance from before.

const t = useTronApp({ outboxPollMs: 100 });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const FIELDS =
  'id type amount direction balanceBefore balanceAfter fromUserId toUserId description metadata createdAt';
const REJECT = `mutation($id: ID!, $r: String!) { rejectWithdrawal(id: $id, reason: $r) { __typename } }`;

describe('a withdrawal, live', () => {
  it('sends the hold and the refund of a rejected withdrawal as the history rows say', async () => {
    const m = await t.merchant();
    await t.credit(m, 'dana', '100');
    // The relay has published the funding credit: the subscriptions see only what follows. Its live messages
    // go out in a relay pass after its commit (docs/architecture.md, "The relay"); a pass that ran
    // once these subscriptions were live sent them its row and balance as well (three of each).
    await untilPublished(t.app.pool, m.merchantId);
    const c = wsClient(wsUrl, keyInit(m));
    const rows = c.subscribe<any>(`subscription { transactionCreated(userId: "dana") { ${FIELDS} } }`);
    const balances = c.subscribe<any>(
      'subscription { balanceUpdated(userId: "dana") { balance transactionId } }',
    );
    await untilLive(c, 'probe', () => t.credit(m, 'probe', '1'));

    const created = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'dana', amount: 40, walletAddress: WALLET, network: 'TRC20' },
    });
    expect(created.status).toBe(200);
    const admin = { bearer: (await t.app.services.tokens.issueAdmin(600, 'live-rows')).token };
    const rejected = await t.graphql(admin, REJECT, { id: created.body.id, r: 'not today' });
    expect(rejected.body.data.rejectWithdrawal.__typename).toBe('Withdrawal');

    // At least two, then the exact lists below: a message too many fails there with what came, not as a timeout.
    await eventually(() => rows.values.length >= 2 && balances.values.length >= 2);
    const history = await t.graphql(
      m,
      `{ user(userId: "dana") { transactions(first: 2) { edges { node { transactionId ${FIELDS.replace('id ', '')} } } } } }`,
    );
    const listed = history.body.data.user.transactions.edges.map(
      ({ node: { transactionId, ...row } }: any) => ({
        id: transactionId,
        ...row,
      }),
    );
    expect(listed.map((r: any) => [r.type, r.amount])).toEqual([
      ['REFUND', '40.00'],
      ['WITHDRAWAL', '-40.00'],
    ]);
    expect(rows.values.map((v) => v.transactionCreated).reverse()).toEqual(listed);
    expect(balances.values.map((v) => v.balanceUpdated)).toEqual([
      { balance: '60.00', transactionId: listed[1].id },
      { balance: '100.00', transactionId: listed[0].id },
    ]);
    await c.dispose();
  });
});
