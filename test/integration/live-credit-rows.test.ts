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
});
