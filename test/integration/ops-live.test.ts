import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { untilListable } from '../helpers/outbox.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { rawSocket, wsClient } from '../helpers/ws.js';

// The ops console's live feed and webhook actions (issue 19): opsEvents across merchants with filters,
// opsHealth, admin-only on every credential, the portal's cookie session on the socket, and admin
// redelivery / disable / enable of any merchant's endpoint, audited.

const t = useTestApp({ outboxPollMs: 100 }, { role: 'all' });
let base = '';
let wsUrl = '';
let admin = '';
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

beforeAll(async () => {
  base = await t.app.listen(0, '127.0.0.1');
  wsUrl = `${base.replace('http', 'ws')}/graphql`;
  admin = (await t.app.services.tokens.issueAdmin(600, 'dave')).token;
});
afterAll(async () => {
  for (const r of receivers) await r.close();
});

async function transfer(m: TestMerchant, from: string, to: string, amount: string) {
  const r = await t.graphql(
    m,
    `mutation($i: TransferInput!) { transfer(input: $i) { __typename ... on Transfer { transactionId } } }`,
    { i: { fromUserId: from, toUserId: to, amount } },
  );
  expect(r.body.data.transfer.__typename).toBe('Transfer');
  return r.body.data.transfer.transactionId as string;
}

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const r = await t.graphql({ bearer: admin }, query, variables);
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
}

const EVENTS = `subscription($f: OpsEventFilter) { opsEvents(filter: $f) { id merchantId mode type data } }`;

describe('opsEvents and opsHealth', () => {
  it('streams every merchant’s events to admins, filtered by type, merchant and mode', async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    await t.credit(a, 'a1', '100');
    await t.credit(b, 'b1', '100');
    const c = wsClient(wsUrl, { token: admin });
    const all = c.subscribe<any>(EVENTS);
    const onlyA = c.subscribe<any>(EVENTS, {
      f: { types: ['TRANSFER_COMPLETED'], merchantId: a.merchantId, mode: 'TEST' },
    });
    const health = c.subscribe<any>(
      'subscription { opsHealth { at queues { name } webhookBacklog { pending } } }',
    );
    // Live once a transfer of A reaches both event subscriptions.
    const live = () => all.values.length > 0 && onlyA.values.length > 0;
    for (let i = 0; i < 50 && !live(); i++) {
      await transfer(a, 'a1', 'a2', '0.01');
      await eventually(live, 300).catch(() => undefined);
    }
    expect(onlyA.values.length).toBeGreaterThan(0);
    all.values.length = 0;
    onlyA.values.length = 0;

    const txB = await transfer(b, 'b1', 'b2', '2.00');
    const txA = await transfer(a, 'a1', 'a2', '1.00');
    await eventually(() => all.values.some((v) => v.opsEvents.data.id === txA));
    await eventually(() => onlyA.values.some((v) => v.opsEvents.data.id === txA));
    const seen = all.values.map((v) => v.opsEvents);
    expect(seen).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ merchantId: b.merchantId, mode: 'TEST', type: 'TRANSFER_COMPLETED' }),
        expect.objectContaining({ merchantId: a.merchantId, mode: 'TEST', type: 'TRANSFER_COMPLETED' }),
      ]),
    );
    expect(seen.find((e) => e.data.id === txB).id).toMatch(/^evt_/);
    // B's transfer was published before A's on the same channel: the filtered stream had its chance, and
    // holds only A's transfers.
    expect(onlyA.values.map((v) => [v.opsEvents.merchantId, v.opsEvents.type])).toEqual(
      onlyA.values.map(() => [a.merchantId, 'TRANSFER_COMPLETED']),
    );
    await eventually(() => health.values.length > 0);
    expect(health.values[0].opsHealth.queues.map((q: any) => q.name)).toContain('webhooks');
    c.dispose();
  });

  it('refuses merchant keys, user sessions and stream tokens, before subscribing', async () => {
    const m = await t.merchant();
    const session = await t.app.services.tokens.issueUserSession(
      { merchantId: m.merchantId, mode: m.mode },
      'u1',
      600,
      ['read', 'subscribe'],
    );
    const stream = await t.app.services.tokens.issueStreamToken(
      { merchantId: m.merchantId, mode: m.mode },
      's',
      600,
    );
    const ts = String(Math.floor(Date.now() / 1000));
    const credentials = [
      { apiKey: m.apiKey, timestamp: ts, signature: hmacSha256Hex(m.apiSecret, ts) },
      { token: session.token },
      { token: stream.token },
    ];
    for (const params of credentials) {
      const c = wsClient(wsUrl, params);
      for (const q of [EVENTS, 'subscription { opsHealth { at } }']) {
        const s = c.subscribe<any>(q);
        await s.done;
        expect((s.errors[0] as any[])[0].extensions.code).toBe('forbidden');
      }
      c.dispose();
    }
    const q = await t.graphql(m, '{ adminWebhookEndpoints(first: 5) { totalCount } }');
    expect(q.body.errors[0].extensions.code).toBe('forbidden');
  });

  it('accepts the portal’s cookie session on the socket only with its CSRF value, from this origin', async () => {
    const login = await fetch(`${base}/portal/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: admin }),
    });
    const cookies: Record<string, string> = {};
    for (const c of login.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      cookies[pair!.slice(0, eq)] = decodeURIComponent(pair!.slice(eq + 1));
    }
    const cookie = `novapay_portal=${encodeURIComponent(cookies.novapay_portal!)}`;
    const csrf = cookies.novapay_portal_csrf!;
    const host = new URL(base).host;
    const ok = await rawSocket(wsUrl, { portalCsrf: csrf }, { cookie, origin: `http://${host}` });
    expect(ok.acked).toBe(true);
    ok.subscribe('1', 'subscription { opsHealth { at } }');
    await eventually(() => ok.messages.some((m) => m.id === '1' && m.type === 'next'));
    ok.close();
    for (const [params, headers] of [
      [{ portalCsrf: 'f'.repeat(64) }, { cookie }],
      [{ portalCsrf: csrf }, {}],
      [{ portalCsrf: csrf }, { cookie, origin: 'https://evil.example' }],
    ] as const) {
      const s = await rawSocket(wsUrl, params, headers);
      await s.closing;
      expect([s.acked, s.closed()]).toEqual([false, { code: 4401, reason: 'invalid_token' }]);
    }
  });
});

describe('webhooks across merchants', () => {
  it('lists deliveries, redelivers, disables and enables any endpoint, audited with the admin', async () => {
    const m = await t.merchant();
    const receiver = await startReceiver();
    receivers.push(receiver);
    const { endpoint } = await t.app.services.webhooks.create(
      { merchantId: m.merchantId, mode: 'test' },
      { url: receiver.url, events: ['transfer.completed'] },
    );
    await t.credit(m, 'w1', '10');
    const tx = await transfer(m, 'w1', 'w2', '1.00');
    await eventually(() => receiver.received.length === 1);
    const eventId = receiver.received[0]!.json.id as string;
    expect(receiver.received[0]!.json.data.id).toBe(tx);

    const DELIVERIES = `query($f: WebhookDeliveryFilter) { webhookDeliveries(first: 10, filter: $f) { totalCount edges { node {
      eventId endpointId merchantId mode status attempts } } } }`;
    // The receiver has the POST before the worker writes its outcome: wait for the row to say so.
    const deliveries = async () =>
      (await gql(DELIVERIES, { f: { merchantId: m.merchantId } })).webhookDeliveries;
    await eventually(async () => (await deliveries()).edges[0]?.node.status === 'SUCCEEDED');
    const list = await deliveries();
    expect(list.edges.map((e: any) => e.node)).toEqual([
      {
        eventId,
        endpointId: endpoint.id,
        merchantId: m.merchantId,
        mode: 'TEST',
        status: 'SUCCEEDED',
        attempts: 1,
      },
    ]);
    await untilListable(t.app.pool);
    const events = (
      await gql(
        `query($f: EventFilter) { events(first: 10, filter: $f) { edges { node { id merchantId type } } } }`,
        {
          f: { merchantId: m.merchantId, type: 'TRANSFER_COMPLETED' },
        },
      )
    ).events;
    expect(events.edges.map((e: any) => e.node)).toEqual([
      { id: eventId, merchantId: m.merchantId, type: 'TRANSFER_COMPLETED' },
    ]);
    expect(
      (await gql(`query($id: ID!) { node(id: $id) { id ... on Event { merchantId } } }`, { id: eventId }))
        .node,
    ).toEqual({ id: eventId, merchantId: m.merchantId });

    const redeliver = await gql(
      `mutation($e: ID!) { redeliverEvent(eventId: $e) { __typename ... on MutationRedeliverEventSuccess { data { status } } ... on Error { code } } }`,
      { e: eventId },
    );
    expect(redeliver.redeliverEvent.__typename).toBe('MutationRedeliverEventSuccess');
    await eventually(() => receiver.received.length === 2);
    expect(receiver.received[1]!.json.id).toBe(eventId);

    const SET = `mutation($id: ID!, $on: Boolean!, $r: String) { setWebhookEndpointEnabled(id: $id, enabled: $on, reason: $r) {
      __typename ... on WebhookEndpoint { enabled disabledReason merchantId } ... on Error { code param } } }`;
    expect((await gql(SET, { id: endpoint.id, on: false })).setWebhookEndpointEnabled).toEqual({
      __typename: 'ValidationError',
      code: 'invalid_request',
      param: 'reason',
    });
    expect(
      (await gql(SET, { id: 'whe_00000000000000000000000000', on: true })).setWebhookEndpointEnabled.code,
    ).toBe('not_found');
    const off = (await gql(SET, { id: endpoint.id, on: false, r: 'receiver answers 500 to everything' }))
      .setWebhookEndpointEnabled;
    expect(off).toEqual({
      __typename: 'WebhookEndpoint',
      enabled: false,
      disabledReason: 'disabled by ops: receiver answers 500 to everything',
      merchantId: m.merchantId,
    });
    const disabled = (
      await gql(
        `query($m: ID) { adminWebhookEndpoints(first: 10, filter: { merchantId: $m, enabled: false }) {
        totalCount edges { node { id url } } } }`,
        { m: m.merchantId },
      )
    ).adminWebhookEndpoints;
    expect(disabled.edges.map((e: any) => e.node.id)).toEqual([endpoint.id]);
    expect((await gql(SET, { id: endpoint.id, on: true })).setWebhookEndpointEnabled).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
    const audit = (await gql(`{ adminAudit { actor action targetId reason } }`)).adminAudit.filter(
      (a: any) => a.targetId === endpoint.id || a.targetId === eventId,
    );
    expect(audit).toEqual([
      { actor: 'admin:dave', action: 'webhooks.enable', targetId: endpoint.id, reason: null },
      {
        actor: 'admin:dave',
        action: 'webhooks.disable',
        targetId: endpoint.id,
        reason: 'receiver answers 500 to everything',
      },
      { actor: 'admin:dave', action: 'webhooks.redeliver', targetId: eventId, reason: null },
    ]);
    // The merchant's own view is unchanged, and admins' mutations are refused to merchants.
    const mine = await t.graphql(m, SET, { id: endpoint.id, on: false, r: 'x' });
    expect(mine.body.errors[0].extensions.code).toBe('forbidden');
  });
});
