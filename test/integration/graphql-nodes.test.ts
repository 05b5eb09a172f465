import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { untilListable } from '../helpers/outbox.js';
import { useTronApp } from '../helpers/tron.js';

// Relay's Object Identification (issue 16): every Node comes back through node(id:) and nodes(ids:) exactly
// as the field that returned it shows it, with the same tenancy rules as that field.
const t = useTronApp({}, 'api');

const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

// Fields of one name must have one shape across the fragments (GraphQL's validation), hence the aliases.
const NODE = `query($id: ID!) { node(id: $id) { __typename id
  ... on Merchant { name mode }
  ... on User { userId balance }
  ... on UserTransaction { transactionId userId amount direction balanceAfter }
  ... on Transaction { txType: type amount sideUserId: userId }
  ... on Deposit { depositStatus: status amount }
  ... on Withdrawal { withdrawalStatus: status amount amountUsdt }
  ... on Event { eventType: type }
  ... on WebhookEndpoint { url }
} }`;

async function node(as: TestMerchant | { bearer: string }, id: string) {
  const r = await t.graphql(as, NODE, { id });
  return { node: r.body.data?.node ?? null, code: r.body.errors?.[0]?.extensions?.code ?? null };
}

/** One of each Node type, made through the public API by merchant m. */
async function everything(m: TestMerchant) {
  await t.credit(m, 'payer', '600');
  const transfer = await t.graphql(
    m,
    `mutation { transfer(input: {fromUserId: "payer", toUserId: "payee", amount: "12.50"}) {
      ... on Transfer { transactionId transaction { id amount } } } }`,
  );
  const txId = transfer.body.data.transfer.transactionId as string;
  expect(transfer.body.data.transfer.transaction).toEqual({ id: txId, amount: '12.50' });
  await untilListable(t.app.pool);
  const q = await t.graphql(
    m,
    `{ viewer { id } user(userId: "payer") { id transactions(first: 1) { edges { node { id transactionId } } } }
       transactions(first: 1) { edges { node { id } } } events(first: 1) { edges { node { id } } } }`,
  );
  const dep = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId: 'payer', amount: 10, currency: 'USDT', network: 'TRC20' },
  });
  const wd = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: 'payer', amount: 100, walletAddress: WALLET, network: 'TRC20' },
  });
  const hook = await t.graphql(
    m,
    `mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hook"}) {
      ... on WebhookEndpointWithSecret { endpoint { id } } } }`,
  );
  const d = q.body.data;
  return {
    txId,
    merchant: d.viewer.id as string,
    user: d.user.id as string,
    userTransaction: d.user.transactions.edges[0].node as { id: string; transactionId: string },
    transaction: d.transactions.edges[0].node.id as string,
    event: d.events.edges[0].node.id as string,
    deposit: dep.body.id as string,
    withdrawal: wd.body.id as string,
    endpoint: hook.body.data.createWebhookEndpoint.endpoint.id as string,
  };
}

describe('node(id:) and nodes(ids:)', () => {
  it('reads back every Node type as its own field shows it', async () => {
    const m = await t.merchant();
    const ids = await everything(m);
    expect(ids.merchant).toBe(m.merchantId);
    expect(ids.deposit).toMatch(/^dep_/);
    expect(ids.withdrawal).toMatch(/^pay_/);
    expect(ids.transaction).toMatch(/^tx_/);
    expect(ids.event).toMatch(/^evt_/);
    expect(ids.endpoint).toMatch(/^whe_/);
    // Users and their history rows have opaque ids that name the type: base64("User:payer").
    expect(Buffer.from(ids.user, 'base64').toString()).toBe('User:payer');
    expect(Buffer.from(ids.userTransaction.id, 'base64').toString()).toBe(
      `UserTransaction:${ids.userTransaction.transactionId}:payer`,
    );

    expect((await node(m, ids.merchant)).node).toMatchObject({ __typename: 'Merchant', mode: 'TEST' });
    expect((await node(m, ids.user)).node).toEqual({
      __typename: 'User',
      id: ids.user,
      userId: 'payer',
      balance: '487.50',
    });
    expect((await node(m, ids.userTransaction.id)).node).toMatchObject({
      __typename: 'UserTransaction',
      id: ids.userTransaction.id,
      userId: 'payer',
    });
    expect((await node(m, ids.txId)).node).toEqual({
      __typename: 'Transaction',
      id: ids.txId,
      txType: 'TRANSFER',
      amount: '12.50',
      sideUserId: 'payee',
    });
    expect((await node(m, ids.deposit)).node).toMatchObject({
      __typename: 'Deposit',
      depositStatus: 'PENDING',
      amount: '10',
    });
    expect((await node(m, ids.withdrawal)).node).toMatchObject({
      __typename: 'Withdrawal',
      withdrawalStatus: 'PENDING_APPROVAL',
      amount: '100.00',
      amountUsdt: '94',
    });
    expect((await node(m, ids.event)).node).toMatchObject({
      __typename: 'Event',
      id: ids.event,
      eventType: 'TRANSFER_COMPLETED',
    });
    expect((await node(m, ids.endpoint)).node).toMatchObject({
      __typename: 'WebhookEndpoint',
      url: 'http://127.0.0.1:9/hook',
    });

    const all = Object.values(ids).map((v) => (typeof v === 'string' ? v : v.id));
    const many = await t.graphql(m, 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', {
      ids: [...all, 'dep_01jzzzzzzzzzzzzzzzzzzzzzzz'],
    });
    expect(many.body.data.nodes.map((n: { id: string } | null) => n?.id ?? null)).toEqual([...all, null]);
  });

  it('applies the tenancy of each type: another merchant or mode sees nothing', async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    const ids = await everything(a);
    for (const id of [
      ids.merchant,
      ids.user,
      ids.userTransaction.id,
      ids.txId,
      ids.deposit,
      ids.withdrawal,
      ids.event,
      ids.endpoint,
    ]) {
      expect(await node(b, id), id).toEqual({ node: null, code: null });
    }
    const live = await t.app.services.merchants.createKey(a.merchantId, 'live', { rateLimitPerSecond: 1000 });
    const aLive = { ...a, ...live, mode: 'live' as const };
    expect((await node(aLive, ids.user)).node).toBeNull();
    expect((await node(aLive, ids.deposit)).node).toBeNull();
  });

  it('lets a user session read only its own user, and nothing merchant-wide', async () => {
    const m = await t.merchant();
    const ids = await everything(m);
    const { token } = await t.app.services.tokens.issueUserSession(
      { merchantId: m.merchantId, mode: 'test' },
      'payer',
      600,
      ['read'],
    );
    const session = { bearer: token };
    expect((await node(session, ids.user)).node).toMatchObject({ userId: 'payer' });
    expect((await node(session, ids.userTransaction.id)).node).toMatchObject({ userId: 'payer' });
    // The payee's side of the same transfer is another user's: refused as user(userId:) refuses it.
    const payee = Buffer.from(`UserTransaction:${ids.txId}:payee`).toString('base64');
    expect((await node(m, payee)).node).toMatchObject({ userId: 'payee', amount: '12.50' });
    expect(await node(session, payee)).toEqual({ node: null, code: 'forbidden' });
    const other = Buffer.from('User:payee').toString('base64');
    expect(await node(session, other)).toEqual({ node: null, code: 'forbidden' });
    for (const id of [ids.merchant, ids.txId, ids.event, ids.endpoint, ids.withdrawal, ids.deposit]) {
      expect(await node(session, id), id).toEqual({ node: null, code: 'forbidden' });
    }
  });

  it('answers an id it never issued with invalid_request, and caps nodes(ids:) at 100', async () => {
    const m = await t.merchant();
    for (const bad of ['nope', 'dep_', 'Zm9vOmJhcg==', Buffer.from('Merchant:x').toString('base64')]) {
      expect(await node(m, bad), bad).toEqual({ node: null, code: 'invalid_request' });
    }
    const many = await t.graphql(m, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: Array.from({ length: 101 }, () => m.merchantId),
    });
    expect(many.body.errors[0].extensions).toMatchObject({ code: 'invalid_request', param: 'ids' });
  });
});
