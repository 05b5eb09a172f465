import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JsonNumber } from '../../src/lib/json.js';
import { insertEvents } from '../../src/modules/events/outbox.js';
import { pageData } from '../../src/modules/webhooks/signing.js';
import type { TestMerchant } from '../helpers/app.js';
import { eventually, type Received, startReceiver, useReceivers } from '../helpers/receiver.js';
import { useTronApp } from '../helpers/tron.js';

// The legacy page's webhook example, byte for byte (seed/novapayments-api-docs.txt "Webhook Payload Example"):
// `amount` is a whole number when its value is whole (`"amount": 100`), otherwise exact (Stars 12.50, every
// digit of a token amount); the other money fields have at least two decimals; times are whole seconds with Z,
// the body is compact JSON; and the page's `signature`, signed with the API secret when the
// endpoint opts in.
const t = useTronApp({ outboxPollMs: 100, webhookRetryScheduleMs: [200, 400, 800] }, 'all');
const receivers = useReceivers();

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
/** The bytes the body `signature` covers: the body from `"event"` up to `,"signature"`, in braces. */
const signedText = (raw: string) => `{${raw.slice(raw.indexOf('"event"'), raw.lastIndexOf(',"signature"'))}}`;
const TIME = '"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"';
const HEX64 = '"[0-9a-f]{64}"';
/** The page's withdrawal request: 500 Stars, which pay out 470.00 USDT with a fee of 30.00. */
const PAGE_WITHDRAWAL_REQUEST = {
  userId: 'seller',
  amount: 500,
  walletAddress: 'TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW',
  network: 'TRC20',
};

async function hook(m: TestMerchant, input: Record<string, unknown> = {}) {
  const r = await startReceiver();
  receivers.push(r);
  const res = await t.graphql(
    m,
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename
      ... on WebhookEndpointWithSecret { secret endpoint { id bodySignature bodySignatureKeyId } }
      ... on Error { code message param } } }`,
    { input: { url: r.url, ...input } },
  );
  const out = res.body.data.createWebhookEndpoint;
  expect(out.__typename, JSON.stringify(out)).toBe('WebhookEndpointWithSecret');
  return { receiver: r, secret: out.secret as string, endpoint: out.endpoint };
}

const delivered = (r: Awaited<ReturnType<typeof startReceiver>>, event: string) =>
  eventually(() => r.received.find((x) => x.json?.event === event), 30_000) as Promise<Received>;

function headerSignedWith(got: Received, secret: string) {
  const header = String(got.headers['x-signature']);
  const ts = /^t=(\d+)/.exec(header)![1]!;
  return header.includes(`v1=${hmac(secret, `${ts}.${got.body}`)}`);
}

describe("the page's webhook body, byte for byte", () => {
  it('transfer.completed: a whole amount without decimals, two-decimal balances, whole-second times, compact JSON, signed', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '1230.50');
    await t.credit(m, 'user_8a2f', '4520.00');
    const { receiver, secret } = await hook(m, { events: ['TRANSFER_COMPLETED'] });
    const body = {
      fromUserId: 'user_3b1c',
      toUserId: 'user_8a2f',
      amount: 50,
      description: 'Donation',
      metadata: { streamId: 'stream_123' },
    };
    const res = await t.request({ url: '/api/v1/transfer', as: m, body });
    expect(res.status).toBe(200);
    // The page's transfer response, byte for byte in its fields: "amount": 50, "fromBalance": 1180.50,
    // "toBalance": 4570.00.
    expect(res.text).toMatch(
      /^\{"id":"tx_\w+","status":"completed","amount":50,"fromBalance":1180\.50,"toBalance":4570\.00,/,
    );
    const got = await delivered(receiver, 'transfer.completed');
    const data =
      // (the page's fields first, in its order; the others as PostgreSQL's jsonb keeps them: shorter first)
      `\\{"id":"${res.body.id}","fromUserId":"user_3b1c","toUserId":"user_8a2f","amount":50,"currency":"Stars",` +
      `"metadata":\\{"streamId":"stream_123"\\},"createdAt":${TIME},"toBalance":4570\\.00,"description":"Donation","fromBalance":1180\\.50\\}`;
    expect(got.body).toMatch(
      new RegExp(
        `^\\{"id":"evt_\\w+","event":"transfer\\.completed","data":${data},"timestamp":${TIME},"signature":${HEX64}\\}$`,
      ),
    );
    // The endpoint secret signs both: the body's signature over its own bytes, the header over the raw body.
    expect(got.json.signature).toBe(hmac(secret, signedText(got.body)));
    expect(headerSignedWith(got, secret)).toBe(true);
  });

  it('transfer.completed: an amount that is not whole has two decimals, in the answer and the webhook', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '100');
    const { receiver } = await hook(m, { events: ['TRANSFER_COMPLETED'] });
    const body = { fromUserId: 'user_3b1c', toUserId: 'user_8a2f', amount: 12.5 };
    const res = await t.request({ url: '/api/v1/transfer', as: m, body });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/"amount":12\.50,"fromBalance":87\.50,"toBalance":12\.50,/);
    const got = await delivered(receiver, 'transfer.completed');
    expect(got.body).toContain('"toUserId":"user_8a2f","amount":12.50,"currency":"Stars",');
    expect(got.body).toMatch(/"fromBalance":87\.50[,}]/);
    expect(got.body).toMatch(/"toBalance":12\.50[,}]/);
  });

  it('deposit.failed keeps every digit of a token amount; payout.failed prints a whole amount without decimals, fee and USDT with two', async () => {
    const m = await t.merchant();
    const { receiver } = await hook(m);
    const dep = await t.request({
      url: '/api/v1/deposit/create',
      as: m,
      body: { userId: 'user_8a2f', amount: '100.000001', currency: 'USDT', network: 'TRC20' },
    });
    expect(dep.status).toBe(200);
    expect(dep.text).toContain('"amount":100.000001,');
    // Other money fields keep two decimals at least; a whole deposit amount has none, as the page's `"amount": 100`.
    expect(dep.text).toContain('"expectedAmount":100.000001,"amountReceived":0.00,');
    const whole = await t.request({
      url: '/api/v1/deposit/create',
      as: m,
      body: { userId: 'user_8a2f', amount: 100, currency: 'USDT', network: 'TRC20' },
    });
    expect(whole.text).toMatch(
      /^\{"id":"dep_\w+","depositAddress":"T\w+","network":"TRC20","amount":100,"currency":"USDT",/,
    );
    expect(whole.text).toContain('"expectedAmount":100.00,"amountReceived":0.00,');
    const again = await t.request({ url: `/api/v1/deposit/${whole.body.id}`, as: m });
    expect(again.text).toContain('"amount":100,');
    expect(dep.body.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await t.app.pool.query(`update deposits set expires_at = now() - interval '1 second' where id = $1`, [
      dep.body.id,
    ]);
    await t.app.workers!.scanning.store.expire();
    const failed = await delivered(receiver, 'deposit.failed');
    expect(failed.body).toContain('"amount":100.000001,');
    expect(failed.body).toMatch(new RegExp(`"expiresAt":${TIME}`));
    expect(failed.body).toContain(`"id":"${dep.body.id}"`);

    await t.credit(m, 'seller', '500');
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: PAGE_WITHDRAWAL_REQUEST,
    });
    expect(w.status).toBe(200);
    // The page's withdrawal response: "amount": 500, "amountUsdt": 470.00, "fee": 30.00, "networkFee": 1.00.
    const PAGE_WITHDRAWAL =
      /^\{"id":"pay_\w+","status":"pending_approval","amount":500,"amountUsdt":470\.00,"fee":30\.00,"networkFee":1\.00,/;
    expect(w.text).toMatch(PAGE_WITHDRAWAL);
    expect((await t.request({ url: `/api/v1/withdraw/${w.body.id}`, as: m })).text).toMatch(PAGE_WITHDRAWAL);
    const { token } = await t.app.services.tokens.issueAdmin(60, 'reviewer');
    await t.graphql(
      { bearer: token },
      `mutation($id: ID!) { rejectWithdrawal(id: $id, reason: "wallet failed the check") { __typename } }`,
      { id: w.body.id },
    );
    const payout = await delivered(receiver, 'payout.failed');
    expect(payout.body).toContain('"amount":500,');
    expect(payout.body).toContain('"fee":30.00,');
    expect(payout.body).toContain('"amountUsdt":470.00,');
    expect(payout.body).toMatch(new RegExp(`"timestamp":${TIME},"signature":${HEX64}\\}$`));
  });
});

describe('replays of deposits and withdrawals', () => {
  it('answer as the first answer did: the page format now, two decimals for a record answered before it', async () => {
    const m = await t.merchant();
    await t.credit(m, 'seller', '1000');
    const format = async (key: string) =>
      (
        await t.app.pool.query<{ f: number }>(
          'select answer_format as f from idempotency_keys where merchant_id = $1 and key = $2',
          [m.merchantId, key],
        )
      ).rows[0]?.f;
    const markOld = (key: string) =>
      t.app.pool.query('update idempotency_keys set answer_format = 1 where merchant_id = $1 and key = $2', [
        m.merchantId,
        key,
      ]);
    const deposit = (key: string) =>
      t.request({
        url: '/api/v1/deposit/create',
        as: m,
        body: { userId: 'user_8a2f', amount: 100, currency: 'USDT', network: 'TRC20' },
        headers: { 'idempotency-key': key },
      });
    const withdraw = (key: string) =>
      t.request({
        url: '/api/v1/withdraw/create',
        as: m,
        body: PAGE_WITHDRAWAL_REQUEST,
        headers: { 'idempotency-key': key },
      });
    for (const [send, whole, old] of [
      [deposit, '"amount":100,', '"amount":100.00,'],
      [withdraw, '"amount":500,', '"amount":500.00,'],
    ] as const) {
      const first = await send(`${whole}now`);
      expect(first.status).toBe(200);
      expect(first.text).toContain(whole);
      expect(await format(`${whole}now`)).toBe(2);
      expect((await send(`${whole}now`)).text).toBe(first.text);
      const before = await send(`${whole}old`);
      await markOld(`${whole}old`);
      const replay = await send(`${whole}old`);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(before.text.replace(whole, old));
    }
  });
});

describe('the outbox', () => {
  it('keeps every digit of an 18-decimal token amount into the jsonb payload', async () => {
    const m = await t.merchant();
    await insertEvents(t.app.pool, [
      {
        id: 'evt_digits',
        type: 'deposit.failed',
        merchantId: m.merchantId,
        mode: 'test',
        data: { amount: new JsonNumber('3.000000000000000001'), stars: 3 },
        createdAt: new Date(),
      },
    ]);
    const r = await t.app.pool.query<{ p: string }>(
      `select payload::text as p from events where id = 'evt_digits'`,
    );
    expect(pageData(r.rows[0]!.p, 'deposit.failed')).toBe('{"amount":3.000000000000000001,"stars":3.00}');
  });
});

describe("the body signature with the API key's secret (opt-in)", () => {
  it('signs the body with the calling key, the header with the endpoint secret, and follows a key rotation', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '10');
    const { receiver, secret, endpoint } = await hook(m, { bodySignature: 'API_KEY' });
    expect(endpoint).toMatchObject({ bodySignature: 'API_KEY', bodySignatureKeyId: m.keyId });
    const send = async (as: TestMerchant) => {
      const before = receiver.received.length;
      const r = await t.request({
        url: '/api/v1/transfer',
        as,
        body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
      });
      expect(r.status).toBe(200);
      return eventually(() => receiver.received[before]) as Promise<Received>;
    };
    const got = await send(m);
    // A legacy merchant verifies with the API secret alone, as the page says.
    expect(got.json.signature).toBe(hmac(m.apiSecret, signedText(got.body)));
    expect(got.json.signature).not.toBe(hmac(secret, signedText(got.body)));
    expect(headerSignedWith(got, secret)).toBe(true);

    const rotated = await t.app.services.merchants.rotateKey(m.keyId);
    const next = await send({ ...m, ...rotated });
    expect(next.json.signature).toBe(hmac(rotated.apiSecret, signedText(next.body)));
  });

  it("refuses another merchant's key, and switches back to the endpoint secret", async () => {
    const m = await t.merchant();
    const other = await t.merchant();
    const r = await startReceiver();
    receivers.push(r);
    const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
      __typename ... on Error { code message param } } }`;
    const refused = await t.graphql(m, CREATE, {
      input: { url: r.url, bodySignature: 'API_KEY', bodySignatureKeyId: other.keyId },
    });
    expect(refused.body.data.createWebhookEndpoint).toMatchObject({
      __typename: 'ValidationError',
      code: 'invalid_request',
      param: 'bodySignatureKeyId',
    });
    const { endpoint } = await hook(m, { bodySignature: 'API_KEY' });
    const upd = await t.graphql(
      m,
      `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) {
        __typename ... on WebhookEndpoint { bodySignature bodySignatureKeyId } } }`,
      { id: endpoint.id, input: { bodySignature: 'ENDPOINT_SECRET' } },
    );
    expect(upd.body.data.updateWebhookEndpoint).toEqual({
      __typename: 'WebhookEndpoint',
      bodySignature: 'ENDPOINT_SECRET',
      bodySignatureKeyId: null,
    });
  });
});
