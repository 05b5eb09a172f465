import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { eventually } from '../helpers/receiver.js';
import { appCli } from '../helpers/server-client.js';

// The HTTP door under hostile input (issue 12): the client address behind proxies, CORS, introspection and
// field suggestions as production ships them. The settings below are what NODE_ENV=production gives by
// default (checked first), so this app answers as a production server would.
const env = (vars: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'novapay-doors-')), ...vars });
const production = env({ NODE_ENV: 'production', MASTER_KEY: 'ab'.repeat(32) });
const t = useTestApp({
  trustProxy: env({ TRUST_PROXY: '1' }).trustProxy,
  corsOrigins: env({ CORS_ORIGINS: 'https://shop.example' }).corsOrigins,
  graphqlPublicIntrospection: production.graphqlPublicIntrospection,
  graphqlFieldSuggestions: production.graphqlFieldSuggestions,
});

describe('configuration of the doors', () => {
  it('refuses TRUST_PROXY=true and takes a hop count or proxy addresses', () => {
    expect(() => env({ TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => env({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would believe/);
    expect(env({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(env({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(env({}).trustProxy).toBe(false);
    expect(() => env({ TRUST_PROXY: 'proxy.internal' })).toThrow(/TRUST_PROXY: set the number/);
  });

  it('ships production without CORS, anonymous introspection or field suggestions', () => {
    expect(production.corsOrigins).toEqual([]);
    expect(production.graphqlPublicIntrospection).toBe(false);
    expect(production.graphqlFieldSuggestions).toBe(false);
    expect(() => env({ CORS_ORIGINS: 'https://shop.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() =>
      env({ NODE_ENV: 'production', MASTER_KEY: 'ab'.repeat(32), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }),
    ).toThrow(/WEBHOOK_ALLOWED_PRIVATE_CIDRS/);
  });
});

describe('the client address behind a proxy (TRUST_PROXY=1)', () => {
  it('believes only the entry the proxy appended, so a forged X-Forwarded-For cannot pass an allow-list', async () => {
    const m = await t.merchant('test', { ipAllowlist: ['10.0.0.0/8'] });
    // The client wrote 10.1.2.3 itself; the proxy (127.0.0.1) appended the address it really came from.
    const forged = await t.request({
      url: '/api/v1/balance/x',
      as: m,
      headers: { 'x-forwarded-for': '10.1.2.3, 198.51.100.7' },
    });
    expect([forged.status, forged.body.error.code]).toEqual([403, 'ip_not_allowed']);
    expect(forged.body.error.message).toContain('198.51.100.7');
    const real = await t.request({
      url: '/api/v1/balance/x',
      as: m,
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    expect(real.status).toBe(404);
    // Without a header the socket address is the client's.
    const direct = await t.request({ url: '/api/v1/balance/x', as: m });
    expect(direct.body.error.code).toBe('ip_not_allowed');
  });
});

describe('CORS on /graphql', () => {
  const preflight = (origin: string) =>
    t.app.server.inject({
      method: 'OPTIONS',
      url: '/graphql',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key',
      },
    });

  it('answers only listed origins, and never with credentials', async () => {
    const evil = await preflight('https://evil.example');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-allow-credentials']).toBeUndefined();
    const shop = await preflight('https://shop.example');
    expect(shop.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(shop.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(shop.headers['access-control-allow-headers'])).toContain('x-signature-version');
    const post = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      payload: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('spends no rate-limit budget on preflights (they run nothing)', async () => {
    // More preflights than the anonymous budget allows in a second, from one address: none is refused, none
    // carries RateLimit-* headers, and the anonymous request after them still has its budget.
    const limit = t.app.config.anonymousRateLimitPerSecond;
    const remoteAddress = '198.51.100.44';
    for (let i = 0; i < limit + 2; i++) {
      const res = await t.app.server.inject({
        method: 'OPTIONS',
        url: '/graphql',
        remoteAddress,
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
      });
      expect(res.statusCode).toBeLessThan(300);
      expect(res.headers['ratelimit-remaining']).toBeUndefined();
    }
    const post = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      remoteAddress,
      headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
      payload: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.statusCode).toBe(200);
    expect(post.headers['ratelimit-remaining']).toBeDefined();
  });
});

describe('introspection and the document limits', () => {
  it('lets the standard introspection query through for a credential, and refuses it anonymously', async () => {
    const m = await t.merchant();
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      inputValueDeprecation: true,
    });
    const withKey = await t.graphql(m, query);
    expect(withKey.body.errors).toBeUndefined();
    expect(withKey.body.data.__schema.queryType.name).toBe('Query');
    const anonymous = await t.graphql(null, query);
    expect(anonymous.body.data).toBeUndefined();
    expect(anonymous.body.errors[0].extensions.code).toBe('forbidden');
    const typeName = await t.graphql(null, '{ __typename }');
    expect(typeName.body.data.__typename).toBe('Query');
  });

  it('refuses introspection bombs: ofType chains and fields cycles', async () => {
    const m = await t.merchant();
    const nest = (n: number) => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`;
    for (const query of [
      `{ __schema { types { ${nest(30)} } } }`,
      `{ __type(name: "Query") { ${nest(30)} } }`,
      '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }',
    ]) {
      const r = await t.graphql(m, query);
      expect(r.body.data).toBeUndefined();
      expect(r.body.errors[0].extensions.code).toBe('invalid_request');
    }
  });

  it('gives no field suggestions when they are off', async () => {
    const m = await t.merchant();
    const r = await t.graphql(m, '{ viewr { id } }');
    expect(r.body.errors[0].extensions.code).toBe('invalid_request');
    expect(r.body.errors[0].message).toBe('Cannot query field "viewr" on type "Query".');
  });
});

describe('bearer token revocation', () => {
  let other: App;
  beforeAll(async () => {
    // A second API instance on the same database and Redis: a revocation must hold there too.
    other = await createApp({
      migrate: false,
      role: 'api',
      config: {
        databaseUrl: databaseUrl(t.dbName),
        redisPrefix: t.app.config.redisPrefix,
        logLevel: 'silent',
      },
    });
  });
  afterAll(async () => {
    await other?.stop();
  });
  const asBearer = async (app: App, token: string) =>
    (
      await app.server.inject({
        method: 'POST',
        url: '/graphql',
        payload: JSON.stringify({ query: '{ __typename }' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      })
    ).statusCode;

  it('portal sign-out ends the session: neither the cookie nor the same token as a Bearer works, on any instance', async () => {
    const { token: cliToken } = await t.app.services.tokens.issueAdmin(600, 'ops-signout');
    const login = await t.request({ url: '/portal/login', body: { token: cliToken } });
    expect(login.status).toBe(200);
    const cookies = (login.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]!);
    const session = decodeURIComponent(cookies.find((c) => c.startsWith('novapay_portal='))!.split('=')[1]!);
    const csrf = cookies.find((c) => c.startsWith('novapay_portal_csrf='))!.split('=')[1]!;
    const portal = (url: string, method: 'GET' | 'POST' = 'GET') =>
      t.app.server.inject({
        method,
        url,
        payload: method === 'POST' ? '{}' : undefined,
        headers: {
          cookie: cookies.join('; '),
          'x-portal-csrf': csrf,
          accept: 'application/json',
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
      });
    expect(await asBearer(t.app, session)).toBe(200);
    expect(await asBearer(other, session)).toBe(200);
    expect((await portal('/portal/x')).statusCode).toBe(404); // signed in: the portal answers

    expect((await portal('/portal/logout', 'POST')).statusCode).toBe(200);
    expect((await portal('/portal/x')).statusCode).toBe(401);
    expect(await asBearer(t.app, session)).toBe(401);
    await eventually(async () => (await asBearer(other, session)) === 401, 5000);
    // The admin token it was made from is a token of its own, revocable on its own (admin revoke).
    expect(await asBearer(t.app, cliToken)).toBe(200);
  });

  it('the CLI revokes a token and sets a key to signature version 2', async () => {
    const cli = appCli(t);
    const { token, tokenId } = await t.app.services.tokens.issueAdmin(600, 'ops-cli');
    expect(await asBearer(t.app, token)).toBe(200);
    expect(await cli('admin', 'revoke', tokenId, '--json')).toEqual({ tokenId, revoked: true });
    await eventually(async () => (await asBearer(t.app, token)) === 401, 5000);
    // Given the token itself, it names the token's kind (a user session's tokenId starts `adm_` too).
    const user = await t.app.services.tokens.issueUserSession(
      { merchantId: 'mer_x', mode: 'test' },
      'u1',
      600,
      ['read'],
    );
    expect(await cli('admin', 'revoke', user.token, '--json')).toEqual({
      tokenId: user.tokenId,
      kind: 'user',
      revoked: true,
    });

    const m = await t.merchant();
    const created = await cli(
      'keys',
      'create',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      '--signature-version',
      '2',
      '--json',
    );
    const strict = { ...m, apiKey: created.apiKey, apiSecret: created.apiSecret };
    const v1 = await t.request({
      url: '/api/v1/balance/x',
      as: strict,
      timestamp: Math.floor(Date.now() / 1000),
    });
    expect(v1.body.error.code).toBe('invalid_signature');
    expect(await cli('keys', 'settings', created.keyId, '--signature-version', '1', '--json')).toEqual({
      keyId: created.keyId,
      signatureVersion: 1,
      trustedDocumentsOnly: false,
    });
  });
});
