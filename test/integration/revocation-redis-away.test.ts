import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { useInstances } from '../helpers/instances.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// A key or token revoked while Redis is away: the revocation message never reaches the other instances. Their
// HTTP doors refuse the credential within the key cache's 5 s (or the token list's 2 s sync), but their open
// sockets were closed only by that message, so a socket opened with a revoked credential stayed open for as
// long as its client wanted, and went on running queries and mutations.

const t = useInstances();

describe('revoked while Redis is away', () => {
  it('closes the sockets another instance holds for the key or the token, within seconds', {
    timeout: 45_000,
  }, async () => {
    const prefix = `novapay-test:${randomBytes(4).toString('hex')}`;
    const a = await t.instance(prefix);
    const b = await t.instance(prefix);
    const m = await a.app.services.merchants.createMerchant('Revoked');
    const key = await a.app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 100_000 });
    const admin = await a.app.services.tokens.issueAdmin(3600, 'leaked');
    const byKey = await rawSocket(b.wsUrl, keyInit(key));
    const byToken = await rawSocket(b.wsUrl, { token: admin.token });
    expect([byKey.acked, byToken.acked]).toEqual([true, true]);
    await t.redis.stop();
    await a.app.services.merchants.revokeKey(key.keyId);
    await a.app.services.tokens.revokeId(admin.tokenId, admin.expiresAt, 'leaked');
    await eventually(() => byKey.closed() !== null && byToken.closed() !== null, 15_000, 50);
    expect(byKey.closed()).toEqual({ code: 4401, reason: 'key_revoked' });
    expect(byToken.closed()).toEqual({ code: 4401, reason: 'token_revoked' });
    // Redis back, and empty: it held no revocation, so nothing is accepted again, on any door.
    await t.redis.start();
    await t.redis.flushAll();
    for (const { app, wsUrl } of [a, b]) {
      // Within the key cache's 5 s (this instance resolved the key when the socket opened).
      await eventually(
        async () => {
          const rest = await app.server.inject({
            url: '/api/v1/balance/x',
            headers: { 'x-api-key': key.apiKey, 'x-signature': hmacSha256Hex(key.apiSecret, '') },
          });
          return rest.json().error.code === 'invalid_api_key';
        },
        10_000,
        100,
      );
      const gql = await app.server.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ __typename }' },
        headers: { authorization: `Bearer ${admin.token}` },
      });
      expect(gql.json().errors[0].extensions.code).toBe('invalid_token');
      expect((await rawSocket(wsUrl, keyInit(key))).closed()?.code).toBe(4401);
      expect((await rawSocket(wsUrl, { token: admin.token })).closed()?.code).toBe(4401);
    }
  });
});
