import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// A tenant's answers must never be kept by a shared cache (a CDN, a caching load balancer) and handed to
// another caller of the same URL. REST authenticates with X-API-Key, a header caches do not treat as
// credentials (only Authorization is, RFC 9111 §3.5), and a 200 to a GET with no Cache-Control may be cached
// heuristically: so every answer of /api and /graphql says `no-store` itself, refusals included.
const t = useTestApp();

describe('answers of a tenant are not for shared caches', () => {
  it('says Cache-Control: no-store on every REST and GraphQL answer', async () => {
    const m = await t.merchant();
    await t.credit(m, 'player', '25');
    const { token } = await t.app.services.tokens.issueUserSession(
      { merchantId: m.merchantId, mode: m.mode },
      'player',
      600,
      ['read'],
    );
    const query = encodeURIComponent('{ user(userId: "player") { balance } }');
    const answers = [
      await t.request({ method: 'GET', url: '/api/v1/balance/player', as: m }),
      await t.request({ method: 'GET', url: '/api/v1/transactions?userId=player', as: m }),
      await t.request({ method: 'GET', url: '/api/v1/balance/nobody', as: m }),
      await t.request({ method: 'GET', url: '/api/v1/balance/player', as: null }),
      await t.request({ method: 'GET', url: `/graphql?query=${query}`, as: m }),
      await t.request({
        method: 'GET',
        url: `/graphql?query=${query}`,
        headers: { authorization: `Bearer ${token}` },
      }),
      await t.request({ url: '/graphql', as: m, body: { query: '{ user(userId: "player") { balance } }' } }),
    ];
    expect(answers[0]!.body.balance).toBe(25);
    expect(answers[4]!.body.data.user.balance).toBe('25.00');
    expect(answers.map((a) => [a.status, a.headers['cache-control']])).toEqual(
      answers.map((a) => [a.status, 'no-store']),
    );
  });
});
