import { type Client, createClient } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// Every message a WebSocket sends spends its own budget (src/http/ws-budget.ts): with the shipped defaults (500
// at once, 100 a second), a flood closes the socket with 4429 too_many_messages, whatever the messages are and
// whether they are refused, and a graphql-ws client used as clients use it never comes near it.

// Behind one proxy (TRUST_PROXY=1), so two viewers of a stream can come from two addresses: a stream token's
// rate limit is per client address.
const t = useTestApp({ trustProxy: 1 });
let wsUrl = '';
beforeAll(async () => {
  expect([t.app.config.wsMessageBurst, t.app.config.wsMessagesPerSecond]).toEqual([500, 100]);
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const streamToken = async (m: TestMerchant, streamId: string) =>
  (await t.app.services.tokens.issueStreamToken({ merchantId: m.merchantId, mode: m.mode }, streamId, 600))
    .token;
const FLOOD = 600;
const OVER_BUDGET = { code: 4429, reason: 'too_many_messages' };

describe('a socket over its message budget', () => {
  it('is closed with 4429 too_many_messages when it floods pings, and not before its burst is spent', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, { token: await streamToken(m, 'show') });
    expect(s.acked).toBe(true);
    // connection_init spent one unit: 499 pings are all answered.
    for (let i = 0; i < 499; i++) s.send('{"type":"ping"}');
    await eventually(() => s.messages.filter((x) => x.type === 'pong').length === 499, 5000);
    expect(s.closed()).toBeNull();
    for (let i = 0; i < FLOOD; i++) s.send('{"type":"ping"}');
    await eventually(() => s.closed(), 5000);
    expect(s.closed()).toEqual(OVER_BUDGET);
    expect(s.messages.filter((x) => x.type === 'pong').length).toBeLessThan(499 + FLOOD);
  });

  it('spends it on refused subscribes too, and only that socket of a shared stream token is closed', async () => {
    const m = await t.merchant();
    const token = await streamToken(m, 'show');
    const [flooder, viewer] = await Promise.all([
      rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.1' }),
      rawSocket(wsUrl, { token }, { 'x-forwarded-for': '198.51.100.2' }),
    ]);
    // Another stream's donations: every one refused (forbidden, too_many_subscriptions while the ones before
    // it are still being refused, or rate_limited once the token's budget for its address is spent), holding
    // no place under the operation caps once answered.
    for (let i = 0; i < FLOOD; i++)
      flooder.subscribe(`x${i}`, 'subscription { donationReceived(streamId: "other") { id } }');
    await eventually(() => flooder.closed(), 5000);
    expect(flooder.closed()).toEqual(OVER_BUDGET);
    const refusals = flooder.messages.filter((x) => x.type === 'error');
    expect(refusals.length).toBeLessThan(FLOOD);
    for (const r of refusals)
      expect(['forbidden', 'too_many_subscriptions', 'rate_limited']).toContain(r.payload[0].extensions.code);

    // The viewer sharing the token still subscribes and is answered.
    viewer.subscribe('mine', 'subscription { donationReceived(streamId: "show") { id } }');
    viewer.subscribe('probe', 'subscription { donationReceived(streamId: "other") { id } }');
    expect((await viewer.result('probe')).map((x) => x.type)).toEqual(['error']);
    expect(viewer.messages.filter((x) => x.id === 'mine')).toEqual([]);
    expect(viewer.closed()).toBeNull();
    viewer.close();
  });
});

describe('a graphql-ws client used as clients use it', () => {
  it('never meets the budget: a full set of subscriptions at once, subscribe and complete at a brisk pace, pings', async () => {
    const m = await t.merchant();
    let closed: number | null = null;
    let connections = 0;
    let pongs = 0;
    const client: Client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: keyInit(m),
      retryAttempts: 0,
      lazy: false, // one socket throughout (a lazy client closes it whenever no operation is running)
      keepAlive: 100, // a ping every 100 ms, far more often than clients send them
      on: {
        connected: () => {
          connections++;
        },
        pong: () => {
          pongs++;
        },
        closed: (e) => {
          closed = (e as { code: number }).code;
        },
      },
    });
    const errors: unknown[] = [];
    const subscribe = (userId: string) =>
      client.subscribe(
        { query: `subscription { balanceUpdated(userId: "${userId}") { balance } }` },
        { next: () => undefined, error: (e) => errors.push(e), complete: () => undefined },
      );
    const viewer = () =>
      new Promise<unknown>((resolve, reject) => {
        let data: unknown;
        client.subscribe(
          { query: '{ viewer { id } }' },
          { next: (v) => (data = v.data), error: reject, complete: () => resolve(data) },
        );
      });
    // What a client re-subscribing after a reconnect sends: the socket's whole cap (100, with the query) at once.
    const all = Array.from({ length: 99 }, (_, i) => subscribe(`u${i}`));
    expect(await viewer()).toMatchObject({ viewer: { id: m.merchantId } });
    for (const stop of all) stop();
    // Then a subscription started and stopped, and a query, every 40 ms for about 2 s.
    for (let i = 0; i < 50; i++) {
      const stop = subscribe(`p${i}`);
      expect(await viewer()).toMatchObject({ viewer: { id: m.merchantId } });
      await new Promise((r) => setTimeout(r, 40));
      stop();
    }
    await eventually(() => pongs >= 10);
    expect(await viewer()).toMatchObject({ viewer: { id: m.merchantId } });
    expect([connections, closed, errors]).toEqual([1, null, []]);
    await client.dispose();
  });
});
