import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

describe('tenant isolation', () => {
  it("merchant B can neither read nor move merchant A's users", async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    await t.credit(a, 'shared_name', '50');
    expect((await t.request({ url: '/api/v1/balance/shared_name', as: b })).status).toBe(404);
    const move = await t.request({
      url: '/api/v1/transfer',
      as: b,
      body: { fromUserId: 'shared_name', toUserId: 'thief', amount: 10 },
    });
    expect([move.status, move.body.error.code]).toEqual([404, 'not_found']);
    expect((await t.request({ url: '/api/v1/transactions?userId=shared_name', as: b })).status).toBe(404);
    expect((await t.request({ url: '/api/v1/transactions', as: b })).body.total).toBe(0);
    const gql = await t.graphql(b, '{ user(userId: "shared_name") { balance } }');
    expect(gql.body.data.user).toBeNull();
    // B's own user of the same name is a different account.
    await t.credit(b, 'shared_name', '7');
    expect((await t.request({ url: '/api/v1/balance/shared_name', as: a })).body.balance).toBe(50);
    expect((await t.request({ url: '/api/v1/balance/shared_name', as: b })).body.balance).toBe(7);
  });

  it('test-mode keys never see live-mode data of the same merchant', async () => {
    const live = await t.merchant('live');
    const testKey = await t.app.services.merchants.createKey(live.merchantId, 'test', {
      rateLimitPerSecond: 1000,
    });
    const test = {
      ...live,
      mode: 'test' as const,
      keyId: testKey.keyId,
      apiKey: testKey.apiKey,
      apiSecret: testKey.apiSecret,
    };
    expect(live.apiKey.startsWith('sk_live_')).toBe(true);
    expect(test.apiKey.startsWith('sk_test_')).toBe(true);
    await t.credit(live, 'player', '100');
    expect((await t.request({ url: '/api/v1/balance/player', as: live })).body.balance).toBe(100);
    expect((await t.request({ url: '/api/v1/balance/player', as: test })).status).toBe(404);
    await t.credit(test, 'player', '3');
    const r = await t.request({
      url: '/api/v1/transfer',
      as: test,
      body: { fromUserId: 'player', toUserId: 'x', amount: 5 },
    });
    expect(r.body.error.code).toBe('insufficient_funds');
    expect((await t.request({ url: '/api/v1/transactions', as: test })).body.total).toBe(1);
    expect((await t.request({ url: '/api/v1/transactions', as: live })).body.total).toBe(1);
    expect((await t.graphql(test, '{ viewer { mode } }')).body.data.viewer.mode).toBe('TEST');
  });
});
