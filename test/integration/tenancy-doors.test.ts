import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { TestMerchant } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { untilListable } from '../helpers/outbox.js';
import { liveKeyOf } from '../helpers/tenants.js';
import { useTronApp } from '../helpers/tron.js';
import { keyInit, wsClient } from '../helpers/ws.js';

// Tenancy through every door that takes an id: another merchant's object, or the same merchant's object
// seen with a key of the other mode, gets exactly the answer a made-up id of the same kind gets (no 403 vs
// 404 oracle, no data), and the owner's objects are unchanged afterwards.
const t = useTronApp({}, 'api');

const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const E = '... on Error { code message param }';

type Kind = 'deposit' | 'withdrawal' | 'endpoint' | 'event' | 'tx' | 'user';
type Ids = Record<Kind, string>;
type Caller = TestMerchant & { event: string };

/** One object of each kind, made through the public API by m. */
async function objectsOf(m: TestMerchant, payer = 'payer'): Promise<Ids> {
  await t.credit(m, payer, '600');
  const transfer = await t.graphql(
    m,
    `mutation($p: ID!) { transfer(input: {fromUserId: $p, toUserId: "payee", amount: "12.50"}) {
      ... on Transfer { transactionId } } }`,
    { p: payer },
  );
  const dep = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId: payer, amount: 10, currency: 'USDT', network: 'TRC20' },
  });
  const wd = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId: payer, amount: 100, walletAddress: WALLET, network: 'TRC20' },
  });
  const hook = await t.graphql(
    m,
    `mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hook"}) {
      ... on WebhookEndpointWithSecret { endpoint { id } } } }`,
  );
  await untilListable(t.app.pool);
  // A transfer's event: redeliverEvent refuses events that are never delivered (the withdrawal's
  // withdrawal.updated, a credit's balance.adjusted) before it reads the endpoint.
  const ev = await t.graphql(
    m,
    '{ events(first: 1, filter: {type: TRANSFER_COMPLETED}) { edges { node { id } } } }',
  );
  expect(wd.body.status).toBe('pending_approval');
  return {
    tx: transfer.body.data.transfer.transactionId,
    deposit: dep.body.id,
    withdrawal: wd.body.id,
    endpoint: hook.body.data.createWebhookEndpoint.endpoint.id,
    event: ev.body.data.events.edges[0].node.id,
    user: payer,
  };
}

const nodeId = (kind: Kind, id: string) =>
  kind === 'user' ? Buffer.from(`User:${id}`).toString('base64') : id;

const gql = async (as: TestMerchant, query: string, variables: Record<string, unknown>) =>
  (await t.graphql(as, query, variables)).body;
const socket: { url: string } = { url: '' };

/** A subscription over graphql-ws with the caller's key: the refusal it gets (it never starts). */
async function subscribe(as: TestMerchant, query: string, id: string) {
  const c = wsClient(socket.url, keyInit(as));
  try {
    const sub = c.subscribe<unknown>(query, { id });
    await sub.done;
    return { values: sub.values, errors: sub.errors, close: c.closeCode() };
  } finally {
    await c.dispose();
  }
}

const rest = async (as: TestMerchant, url: string, body?: unknown) => {
  const r = await t.request({ method: body === undefined ? 'GET' : 'POST', url, as, body });
  return { status: r.status, body: r.body };
};

/** Every door that names an object, by the kind of id it takes. */
const DOORS: { kind: Kind; name: string; call: (as: Caller, id: string) => Promise<unknown> }[] = [
  { kind: 'deposit', name: 'GET /deposit/:id', call: (as, id) => rest(as, `/api/v1/deposit/${id}`) },
  {
    kind: 'deposit',
    name: 'deposit(id:)',
    call: (as, id) => gql(as, 'query($id: ID!) { deposit(id: $id) { id } }', { id }),
  },
  {
    kind: 'deposit',
    name: 'simulateDeposit',
    call: (as, id) =>
      gql(as, `mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ${E} } }`, { id }),
  },
  { kind: 'withdrawal', name: 'GET /withdraw/:id', call: (as, id) => rest(as, `/api/v1/withdraw/${id}`) },
  {
    kind: 'withdrawal',
    name: 'withdrawal(id:)',
    call: (as, id) => gql(as, 'query($id: ID!) { withdrawal(id: $id) { id } }', { id }),
  },
  {
    kind: 'withdrawal',
    name: 'approveWithdrawal',
    call: (as, id) =>
      gql(
        as,
        `mutation($id: ID!, $k: String) { approveWithdrawal(id: $id, idempotencyKey: $k) { __typename ${E} } }`,
        {
          id,
          k: `k_${id}`,
        },
      ),
  },
  {
    kind: 'withdrawal',
    name: 'rejectWithdrawal',
    call: (as, id) =>
      gql(as, `mutation($id: ID!) { rejectWithdrawal(id: $id, reason: "no") { __typename ${E} } }`, { id }),
  },
  {
    kind: 'endpoint',
    name: 'updateWebhookEndpoint',
    call: (as, id) =>
      gql(
        as,
        `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {url: "http://127.0.0.1:9/x", enabled: false}) { __typename ${E} } }`,
        { id },
      ),
  },
  {
    kind: 'endpoint',
    name: 'rotateWebhookSecret',
    call: (as, id) =>
      gql(as, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { __typename ${E} } }`, { id }),
  },
  {
    kind: 'endpoint',
    name: 'deleteWebhookEndpoint',
    call: (as, id) =>
      gql(as, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename ${E} } }`, { id }),
  },
  {
    kind: 'endpoint',
    name: 'redeliverEvent(endpointId:)',
    call: (as, id) =>
      gql(
        as,
        `mutation($ev: ID!, $id: ID!) { redeliverEvent(eventId: $ev, endpointId: $id) { __typename ${E} } }`,
        {
          ev: as.event,
          id,
        },
      ),
  },
  {
    kind: 'endpoint',
    name: 'webhookDeliveries(endpointId)',
    call: (as, id) =>
      gql(as, 'query($id: ID!) { webhookDeliveries(filter: {endpointId: $id}) { totalCount } }', { id }),
  },
  {
    kind: 'event',
    name: 'redeliverEvent(eventId:)',
    call: (as, id) =>
      gql(as, `mutation($id: ID!) { redeliverEvent(eventId: $id) { __typename ${E} } }`, { id }),
  },
  {
    kind: 'event',
    name: 'webhookDeliveries(eventId)',
    call: (as, id) =>
      gql(as, 'query($id: ID!) { webhookDeliveries(filter: {eventId: $id}) { totalCount } }', { id }),
  },
  {
    kind: 'deposit',
    name: 'depositUpdated',
    call: (as, id) => subscribe(as, 'subscription($id: ID!) { depositUpdated(id: $id) { id } }', id),
  },
  {
    kind: 'withdrawal',
    name: 'withdrawalUpdated',
    call: (as, id) => subscribe(as, 'subscription($id: ID!) { withdrawalUpdated(id: $id) { id } }', id),
  },
  { kind: 'user', name: 'GET /balance/:userId', call: (as, id) => rest(as, `/api/v1/balance/${id}`) },
  {
    kind: 'user',
    name: 'GET /transactions?userId',
    call: (as, id) => rest(as, `/api/v1/transactions?userId=${id}`),
  },
  {
    kind: 'user',
    name: 'POST /transfer from',
    call: (as, id) => rest(as, '/api/v1/transfer', { fromUserId: id, toUserId: 'thief', amount: 1 }),
  },
  {
    kind: 'user',
    name: 'user(userId:)',
    call: (as, id) => gql(as, 'query($id: ID!) { user(userId: $id) { balance } }', { id }),
  },
  ...(['deposit', 'withdrawal', 'endpoint', 'event', 'tx', 'user'] as const).flatMap((kind) => [
    {
      kind,
      name: `node(${kind})`,
      call: (as: Caller, id: string) =>
        gql(as, 'query($id: ID!) { node(id: $id) { __typename id } }', { id: nodeId(kind, id) }),
    },
    {
      kind,
      name: `nodes(${kind})`,
      call: (as: Caller, id: string) =>
        gql(as, 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', { ids: [nodeId(kind, id)] }),
    },
  ]),
];

function madeUp(kind: Kind): string {
  const prefix = { deposit: 'dep', withdrawal: 'pay', endpoint: 'whe', event: 'evt', tx: 'tx' } as const;
  return kind === 'user' ? `nobody_${newId('tx').slice(-8)}` : newId(prefix[kind]);
}

/** The answer with the id asked for, request ids and node ids of it blanked out. */
function normalized(answer: unknown, kind: Kind, id: string): string {
  return JSON.stringify(answer)
    .replaceAll(id, '<id>')
    .replaceAll(nodeId(kind, id), '<node>')
    .replace(/req_[0-9a-z]{26}/g, '<req>');
}

/** Everything of the owner in test mode (its objects' mode) that a door could change. */
async function stateOf(m: TestMerchant) {
  const q = async (sql: string) => (await t.app.pool.query(sql, [m.merchantId, m.mode])).rows;
  return {
    withdrawals: await q(
      'select id, status, updated_at from withdrawals where merchant_id = $1 and mode = $2 order by id',
    ),
    endpoints: await q(
      'select id, url, status, secret_ciphertext, deleted_at, updated_at from webhook_endpoints where merchant_id = $1 and mode = $2 order by id',
    ),
    deliveries: await q(
      'select * from webhook_deliveries where merchant_id = $1 and mode = $2 order by event_id, endpoint_id',
    ),
    ledger: await q(
      'select count(*)::int as n from ledger_transactions where merchant_id = $1 and mode = $2',
    ),
    deposits: await q(
      'select id, status, amount_received_minor from deposits where merchant_id = $1 and mode = $2 order by id',
    ),
    idempotency: await q(
      'select count(*)::int as n from idempotency_keys where merchant_id = $1 and mode = $2',
    ),
  };
}

describe('tenancy through every door that takes an id', () => {
  it("answers another tenant's ids exactly as made-up ones, and changes nothing of theirs", async () => {
    socket.url = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
    const owner = await t.merchant();
    const other = await t.merchant('test', { scopes: ['withdrawals:approve'] });
    const ownerLive = await liveKeyOf(t, owner, ['withdrawals:approve']);
    // Named only in the owner's books: the callers' own users are called payer.
    const theirs = await objectsOf(owner, 'owner_payer');
    const otherIds = await objectsOf(other);
    const callers: Caller[] = [
      { ...other, event: otherIds.event },
      // The owner's own live key on its test objects: the other mode is another tenant.
      { ...ownerLive, event: (await objectsOfLive(ownerLive)).event },
    ];
    const before = await stateOf(owner);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...DOORS), fc.constantFrom(...callers), async (door, caller) => {
        const real = theirs[door.kind];
        const fake = madeUp(door.kind);
        const a = normalized(await door.call(caller, real), door.kind, real);
        const b = normalized(await door.call(caller, fake), door.kind, fake);
        expect(a, `${door.name} as ${caller.mode}`).toBe(b);
        expect(a).not.toContain(owner.merchantId);
        // Every door refuses or finds nothing (the two answers could otherwise agree on a success).
        expect(a, door.name).toMatch(
          /not_found|test-mode keys only|"node":null|"nodes":\[null\]|"user":null|"deposit":null|"withdrawal":null|"totalCount":0/,
        );
      }),
      { ...fuzzParams(), numRuns: Math.max(fuzzParams().numRuns ?? 0, DOORS.length * 2) },
    );
    expect(await stateOf(owner)).toEqual(before);
  });
});

/** A live-mode key has no test network: its event comes from a transfer alone. */
async function objectsOfLive(m: TestMerchant) {
  await t.credit(m, 'payer', '5');
  await t.graphql(
    m,
    'mutation { transfer(input: {fromUserId: "payer", toUserId: "payee", amount: "1"}) { __typename } }',
  );
  // A transfer's event (the credit's balance.adjusted is never delivered, so redeliverEvent refuses it first).
  await untilListable(t.app.pool);
  const ev = await t.graphql(
    m,
    '{ events(first: 1, filter: {type: TRANSFER_COMPLETED}) { edges { node { id } } } }',
  );
  return { event: ev.body.data.events.edges[0].node.id as string };
}
