import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { liveChannel, untilSubscribed, untilUnsubscribed, wsClient } from '../helpers/ws.js';

// Every log line the app writes at info level, captured in memory while requests carry every kind of
// secret: API key and secret, request signatures, admin and user bearer tokens, the admin cookie, a webhook
// endpoint's secret and the signatures of its deliveries. None may appear in any line.

const lines: string[] = [];
const sink = {
  write(chunk: string) {
    for (const line of chunk.split('\n')) if (line) lines.push(line);
  },
};

let app: App;
let dbName = '';
let wsUrl = '';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** Every secret sent or received during the file; checked against every line at the end. */
const secrets = new Map<string, string>();

function remember(what: string, value: string) {
  expect(value.length).toBeGreaterThanOrEqual(16);
  secrets.set(`${what} #${secrets.size}`, value);
}

beforeAll(async () => {
  dbName = await createTestDatabase();
  app = await createApp({
    migrate: false,
    role: 'all',
    logger: createLogger('info', sink),
    config: {
      databaseUrl: databaseUrl(dbName),
      redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
      logLevel: 'info',
      dbPoolSize: 8,
      tron: { ...loadConfig().tron, devnet: 'off' },
      evm: { ...loadConfig().evm, devnet: 'off' },
      outboxPollMs: 100,
      webhookRetryScheduleMs: [200],
      webhookTimeoutMs: 1000,
    },
  });
  const address = await app.listen(0, '127.0.0.1');
  wsUrl = `${address.replace('http', 'ws')}/graphql`;
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await app?.stop();
  if (dbName) await dropTestDatabase(dbName);
});

async function signed(
  key: { apiKey: string; apiSecret: string },
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  opts: { badSignature?: boolean } = {},
) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const signature = opts.badSignature
    ? hmacSha256Hex('not the secret', payload)
    : hmacSha256Hex(key.apiSecret, payload);
  remember('X-Signature', signature);
  const res = await app.server.inject({
    method,
    url,
    payload: payload || undefined,
    headers: {
      ...(payload ? { 'content-type': 'application/json' } : {}),
      'x-api-key': key.apiKey,
      'x-signature': signature,
    },
  });
  return res;
}

async function graphql(
  auth: { apiKey: string; apiSecret: string } | { bearer: string },
  query: string,
  variables = {},
) {
  const payload = JSON.stringify({ query, variables });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if ('bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  else {
    headers['x-api-key'] = auth.apiKey;
    headers['x-signature'] = hmacSha256Hex(auth.apiSecret, payload);
    remember('X-Signature', headers['x-signature']);
  }
  const res = await app.server.inject({ method: 'POST', url: '/graphql', payload, headers });
  return res.json();
}

function requestLines(): Record<string, any>[] {
  return lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
}

describe('logs', () => {
  it('carry no secret, and each request line has its id, merchant, mode, route, status and latency', async () => {
    const merchant = await app.services.merchants.createMerchant('Log Test Merchant');
    const key = await app.services.merchants.createKey(merchant.id, 'test', { rateLimitPerSecond: 10_000 });
    remember('API key', key.apiKey);
    remember('API secret', key.apiSecret);
    await app.services.ledger.adjust(
      { merchantId: merchant.id, mode: 'test' },
      { userId: 'payer', amount: '100', direction: 'credit', reason: 'log test', actor: 'test' },
    );

    // A webhook endpoint (its secret is shown once) and a user session, through GraphQL with the key.
    const created = await graphql(
      key,
      `mutation($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) { ... on WebhookEndpointWithSecret { secret endpoint { id } } }
      }`,
      { input: { url: receiver.url } },
    );
    remember('webhook secret', created.data.createWebhookEndpoint.secret);
    const session = await graphql(
      key,
      `mutation { createUserSession(userId: "payer") { ... on BrowserToken { token } } }`,
    );
    const userToken: string = session.data.createUserSession.token;
    remember('user token', userToken);

    // REST: a transfer, a read, a bad signature, an unknown key.
    const transfer = await signed(key, 'POST', '/api/v1/transfer', {
      fromUserId: 'payer',
      toUserId: 'payee',
      amount: 5,
    });
    expect(transfer.statusCode).toBe(200);
    expect((await signed(key, 'GET', '/api/v1/balance/payer')).statusCode).toBe(200);
    expect(
      (
        await signed(
          key,
          'POST',
          '/api/v1/transfer',
          { fromUserId: 'a', toUserId: 'b', amount: 1 },
          { badSignature: true },
        )
      ).statusCode,
    ).toBe(401);
    const unknownKey = {
      apiKey: `sk_test_${randomBytes(16).toString('hex')}`,
      apiSecret: randomBytes(32).toString('hex'),
    };
    remember('unknown API key', unknownKey.apiKey);
    expect((await signed(unknownKey, 'GET', '/api/v1/balance/payer')).statusCode).toBe(401);

    // The user session reads its own balance; a tampered one is refused.
    const mine = await graphql({ bearer: userToken }, `{ user(userId: "payer") { balance } }`);
    expect(mine.data.user.balance).toBe('95.00');
    await graphql({ bearer: `${userToken.slice(0, -4)}AAAA` }, '{ __typename }');

    // Admin token: GraphQL, /metrics, and the dashboard's ?token= and cookie.
    const { token: admin } = await app.services.tokens.issueAdmin(600, 'log-test');
    remember('admin token', admin);
    await graphql({ bearer: admin }, '{ __typename }');
    const metrics = await app.server.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(metrics.statusCode).toBe(200);
    const login = await app.server.inject({ url: `/admin/queues?token=${encodeURIComponent(admin)}` });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    remember('admin cookie', cookie.slice(cookie.indexOf('=') + 1));
    expect((await app.server.inject({ url: '/admin/queues', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.server.inject({ url: '/admin/queues?token=not-a-valid-admin-token' })).statusCode).toBe(
      401,
    );

    // WebSockets: connection_init with a key signature, with a user token, and with a wrong signature.
    const ts = String(Math.floor(Date.now() / 1000));
    const wsSignature = hmacSha256Hex(key.apiSecret, ts);
    remember('ws signature', wsSignature);
    // Each socket is served to the end before the next: an accepted one until its subscription is live (and
    // gone again), the refused one until the server closed it.
    const channel = liveChannel(app, 'balance', { merchantId: merchant.id, mode: 'test' }, 'payer');
    for (const [params, accepted] of [
      [{ apiKey: key.apiKey, timestamp: ts, signature: wsSignature }, true],
      [{ token: userToken }, true],
      [{ apiKey: key.apiKey, timestamp: ts, signature: hmacSha256Hex('wrong', ts) }, false],
    ] as const) {
      const c = wsClient(wsUrl, params);
      const sub = c.subscribe(`subscription { balanceUpdated(userId: "payer") { balance } }`);
      if (accepted) await untilSubscribed(app.config.redisUrl, channel);
      else await sub.done;
      sub.stop();
      await c.dispose();
      if (accepted) await untilUnsubscribed(app.config.redisUrl, channel);
    }

    // The webhook is delivered and signed; its signature is a secret of sorts too.
    await eventually(() => receiver.received.length >= 1);
    for (const r of receiver.received) {
      for (const [name, value] of Object.entries(r.headers)) {
        if (/signature/i.test(name) && typeof value === 'string') remember(`delivery ${name}`, value);
      }
      if (typeof r.json?.signature === 'string') remember('delivery signature', r.json.signature);
    }

    // Every line is JSON; none contains any secret, whole or as its signature part.
    await eventually(() => requestLines().length >= 10);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const leaks: string[] = [];
    for (const [what, value] of secrets) {
      const parts = [value, ...(value.split('.').length === 3 ? [value.split('.')[2]!] : [])];
      for (const line of lines) if (parts.some((p) => line.includes(p))) leaks.push(`${what} in ${line}`);
    }
    expect(leaks).toEqual([]);
    expect(lines.join('\n')).not.toMatch(/sk_(live|test)_[0-9a-f]{32}/);
    expect(lines.join('\n')).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/); // no JWT at all

    // The transfer's request line.
    const line = requestLines().find((l) => l.requestId === transfer.headers['x-request-id']);
    expect(line).toMatchObject({
      level: 30,
      requestId: expect.stringMatching(/^req_/),
      method: 'POST',
      merchantId: merchant.id,
      mode: 'test',
      route: '/api/v1/transfer',
      status: 200,
      latencyMs: expect.any(Number),
    });
    expect(line!.latencyMs).toBeGreaterThan(0);
    // Route patterns only: the query string with the token never reaches a line.
    const loginLine = requestLines().find((l) => l.status === 303);
    expect(loginLine).toMatchObject({ route: '/admin/queues', status: 303 });
    expect(JSON.stringify(loginLine)).not.toContain('token=');
  });
});
