import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { untilPublished } from '../helpers/outbox.js';
import { eventually } from '../helpers/receiver.js';
import { liveChannel, untilSubscribed, wsClient } from '../helpers/ws.js';

// Instance A serves HTTP and sockets and runs the relay; instance B (same database and Redis prefix)
// takes the transfers. A subscriber on A must see what happens through B.
const prefix = `novapay-test:sub-${Date.now()}`;
const t = useTestApp({ outboxPollMs: 100 }, { role: 'all', redisPrefix: prefix });
let b: App;
let wsUrl = '';

beforeAll(async () => {
  const address = await t.app.listen(0, '127.0.0.1');
  wsUrl = `${address.replace('http', 'ws')}/graphql`;
  b = await createApp({
    migrate: false,
    role: 'api',
    config: { databaseUrl: databaseUrl(t.dbName), redisPrefix: prefix, logLevel: 'silent', dbPoolSize: 4 },
  });
});
afterAll(async () => {
  await b?.stop();
});

async function transferViaB(m: TestMerchant, body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const res = await b.server.inject({
    method: 'POST',
    url: '/api/v1/transfer',
    payload: raw,
    headers: {
      'content-type': 'application/json',
      'x-api-key': m.apiKey,
      'x-signature': hmacSha256Hex(m.apiSecret, raw),
    },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function token(m: TestMerchant, mutation: string, vars: Record<string, unknown>) {
  const r = await t.graphql(m, mutation, vars);
  const payload = Object.values(r.body.data)[0] as { token: string };
  expect(payload.token).toBeTruthy();
  return payload.token;
}

const USER_SESSION = `mutation($u: ID!, $ttl: Int) { createUserSession(userId: $u, ttlSeconds: $ttl) { ... on BrowserToken { token } } }`;
const STREAM_TOKEN = `mutation($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } } }`;

describe('live subscriptions over graphql-ws', () => {
  it('a subscriber on instance A gets balanceUpdated and donationReceived for a transfer made through B', async () => {
    const m = await t.merchant();
    await t.credit(m, 'fan', '100');
    // The relay has published what came before (the credit): the subscriptions see only what follows.
    await untilPublished(t.app.pool, m.merchantId);
    const ts = String(Math.floor(Date.now() / 1000));
    const c = wsClient(wsUrl, { apiKey: m.apiKey, timestamp: ts, signature: hmacSha256Hex(m.apiSecret, ts) });
    const balance = c.subscribe<any>(
      'subscription { balanceUpdated(userId: "streamer") { userId balance transactionId } }',
    );
    const donations = c.subscribe<any>(
      'subscription { donationReceived(streamId: "stream_123") { id streamId fromUserId amount message } }',
    );
    const history = c.subscribe<any>(
      'subscription { transactionCreated(userId: "fan") { id amount direction balanceBefore balanceAfter } }',
    );
    // Each of the three subscriptions registers on its own, in no guaranteed order: once instance A has
    // subscribed to all three channels, a warm-up transfer reaches each; then measure fresh donations.
    for (const [topic, id] of [
      ['balance', 'streamer'],
      ['donation', 'stream_123'],
      ['transaction', 'fan'],
    ] as const)
      await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, topic, m, id));
    const all = () => Math.min(balance.values.length, donations.values.length, history.values.length);
    await transferViaB(m, {
      fromUserId: 'fan',
      toUserId: 'streamer',
      amount: 1,
      metadata: { streamId: 'stream_123' },
    });
    await eventually(() => all() > 0, 20_000, 10);
    await eventually(
      () =>
        balance.values.length === history.values.length && balance.values.length === donations.values.length,
      20_000,
      10,
    );
    const latencies: number[] = [];
    let tx: any;
    // The "within 1 s" bar holds for the best of three, so one pause of an overloaded machine (CI beside
    // other work) does not decide it, while a slow path still fails every time.
    for (let i = 0; i < 3; i++) {
      const before = [balance.values.length, donations.values.length, history.values.length];
      const at = Date.now();
      tx = await transferViaB(m, {
        fromUserId: 'fan',
        toUserId: 'streamer',
        amount: 25,
        description: 'gg',
        metadata: { streamId: 'stream_123' },
      });
      await eventually(
        () =>
          balance.values.length > before[0]! &&
          donations.values.length > before[1]! &&
          history.values.length > before[2]!,
        20_000,
        10,
      );
      latencies.push(Date.now() - at);
    }
    expect(Math.min(...latencies)).toBeLessThan(1000);
    const fan = (await t.request({ url: '/api/v1/balance/fan', as: m })).body.balance;
    const streamer = (await t.request({ url: '/api/v1/balance/streamer', as: m })).body.balance;
    expect(balance.values.at(-1).balanceUpdated).toEqual({
      userId: 'streamer',
      balance: streamer.toFixed(2),
      transactionId: tx.id,
    });
    expect(donations.values.at(-1).donationReceived).toEqual({
      id: tx.id,
      streamId: 'stream_123',
      fromUserId: 'fan',
      amount: '25.00',
      message: 'gg',
    });
    expect(history.values.at(-1).transactionCreated).toEqual({
      id: tx.id,
      amount: '-25.00',
      direction: 'DEBIT',
      balanceBefore: (fan + 25).toFixed(2),
      balanceAfter: fan.toFixed(2),
    });
    await c.dispose();
  });

  it('a user session reads and follows only its own user', async () => {
    const m = await t.merchant();
    await t.credit(m, 'alice', '10');
    await t.credit(m, 'bob', '10');
    const tok = await token(m, USER_SESSION, { u: 'alice', ttl: 600 });
    const own = await t.graphql({ bearer: tok }, '{ user(userId: "alice") { balance } }');
    expect(own.body.data.user.balance).toBe('10.00');
    const other = await t.graphql({ bearer: tok }, '{ user(userId: "bob") { balance } }');
    expect(other.body.errors[0].extensions.code).toBe('forbidden');
    const transfer = await t.graphql(
      { bearer: tok },
      'mutation { transfer(input: {fromUserId: "alice", toUserId: "bob", amount: "1"}) { __typename } }',
    );
    expect(transfer.body.errors?.[0]?.extensions?.code ?? transfer.body.data?.transfer?.__typename).toMatch(
      /forbidden|ForbiddenError/,
    );

    // The credits' updates are out before subscribing: the first one seen is the transfer's.
    await untilPublished(t.app.pool, m.merchantId);
    const c = wsClient(wsUrl, { token: tok });
    const mine = c.subscribe<any>('subscription { balanceUpdated(userId: "alice") { balance } }');
    const theirs = c.subscribe<any>('subscription { balanceUpdated(userId: "bob") { balance } }');
    await eventually(() => theirs.errors.length > 0, 3000);
    expect(JSON.stringify(theirs.errors)).toContain('forbidden');
    // Its pub/sub subscription may be set up after the refusal arrives.
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'balance', m, 'alice'));
    await transferViaB(m, { fromUserId: 'bob', toUserId: 'alice', amount: 2 });
    await eventually(() => mine.values.length === 1, 5000);
    expect(mine.values[0].balanceUpdated.balance).toBe('12.00');
    await c.dispose();
  });

  it('a stream token only gets its stream; expired or tampered tokens close the socket with 4401', async () => {
    const m = await t.merchant();
    await t.credit(m, 'fan', '10');
    const tok = await token(m, STREAM_TOKEN, { s: 'stream_A' });
    const c = wsClient(wsUrl, { token: tok });
    const a = c.subscribe<any>('subscription { donationReceived(streamId: "stream_A") { amount } }');
    const other = c.subscribe<any>('subscription { donationReceived(streamId: "stream_B") { amount } }');
    const user = c.subscribe<any>('subscription { balanceUpdated(userId: "fan") { balance } }');
    await eventually(() => other.errors.length > 0 && user.errors.length > 0, 3000);
    expect(JSON.stringify(other.errors)).toContain('forbidden');
    expect(JSON.stringify(user.errors)).toContain('forbidden');
    // Its pub/sub subscription may be set up after the refusals arrive.
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'donation', m, 'stream_A'));
    await transferViaB(m, {
      fromUserId: 'fan',
      toUserId: 'star',
      amount: 3,
      metadata: { streamId: 'stream_A' },
    });
    await eventually(() => a.values.length === 1, 5000);
    expect(a.values[0].donationReceived.amount).toBe('3.00');
    await c.dispose();

    const expired = (await t.app.services.tokens.issueStreamToken(m, 'stream_A', -5)).token;
    for (const bad of [expired, `${tok.slice(0, -3)}abc`, 'nonsense']) {
      const x = wsClient(wsUrl, { token: bad });
      const s = x.subscribe('subscription { donationReceived(streamId: "stream_A") { amount } }');
      await s.done;
      expect(x.closeCode()).toBe(4401);
    }
    const noAuth = wsClient(wsUrl, {});
    await noAuth.subscribe('subscription { donationReceived(streamId: "x") { amount } }').done;
    expect(noAuth.closeCode()).toBe(4401);
  });

  it('closes the sockets of a revoked API key', async () => {
    const m = await t.merchant();
    const ts = String(Math.floor(Date.now() / 1000));
    const c = wsClient(wsUrl, { apiKey: m.apiKey, timestamp: ts, signature: hmacSha256Hex(m.apiSecret, ts) });
    const s = c.subscribe('subscription { balanceUpdated(userId: "x") { balance } }');
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'balance', m, 'x')); // the socket is authenticated and live
    await b.services.merchants.revokeKey(m.keyId); // revoked through the other instance
    await s.done;
    expect(c.closeCode()).toBe(4401);
  });
});
