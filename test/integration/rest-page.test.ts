import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// The page's own examples (seed/novapayments-api-docs.txt) with its field names and JSON types.
const t = useTestApp();

describe('the API page examples', () => {
  it('GET /balance/:userId answers the page shape with a JSON number', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '4520.00');
    const res = await t.request({ url: '/api/v1/balance/user_8a2f', as: m });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      userId: 'user_8a2f',
      balance: 4520,
      currency: 'Stars',
      updatedAt: expect.any(String),
    });
    // The page's formats byte for byte: two decimals as a JSON number, whole seconds with Z.
    expect(res.text).toMatch(/"balance":4520\.00,/);
    expect(res.body.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.headers['x-request-id']).toMatch(/^req_/);
  });

  it('POST /transfer moves the exact amount and reports both balances', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '1230.50');
    await t.credit(m, 'user_8a2f', '4520.00');
    const res = await t.request({
      url: '/api/v1/transfer',
      as: m,
      body: {
        fromUserId: 'user_3b1c',
        toUserId: 'user_8a2f',
        amount: 50,
        description: 'Donation',
        metadata: { streamId: 'stream_123' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', amount: 50, fromBalance: 1180.5, toBalance: 4570 });
    expect(res.body.id).toMatch(/^tx_/);
    expect(typeof res.body.amount).toBe('number');
  });

  it('GET /transactions pages newest first with balanceBefore/After for a user', async () => {
    const m = await t.merchant();
    await t.credit(m, 'a', '100');
    for (let i = 1; i <= 5; i++) {
      const r = await t.request({
        url: '/api/v1/transfer',
        as: m,
        body: { fromUserId: 'a', toUserId: 'b', amount: `${i}.25` },
      });
      expect(r.status).toBe(200);
    }
    const res = await t.request({ url: '/api/v1/transactions?userId=b&page=1&limit=2', as: m });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(5);
    expect(res.body.page).toBe(1);
    expect(res.body.limit).toBe(2);
    expect(res.body.data).toHaveLength(2);
    const [first, second] = res.body.data;
    expect(first).toMatchObject({
      type: 'transfer',
      amount: 5.25,
      balanceBefore: 11,
      balanceAfter: 16.25,
      direction: 'credit',
    });
    expect(second).toMatchObject({ amount: 4.25, balanceBefore: 6.75, balanceAfter: 11 });
    const payer = await t.request({ url: '/api/v1/transactions?userId=a&limit=1', as: m });
    expect(payer.body.data[0]).toMatchObject({
      amount: -5.25,
      direction: 'debit',
      balanceBefore: 89,
      balanceAfter: 83.75,
    });
    const page3 = await t.request({ url: '/api/v1/transactions?userId=b&page=3&limit=2', as: m });
    expect(page3.body.data).toHaveLength(1);
    expect(page3.body.data[0].amount).toBe(1.25);
    const all = await t.request({ url: '/api/v1/transactions', as: m });
    expect(all.body.total).toBe(6);
    expect(all.body.data[0]).toMatchObject({
      type: 'transfer',
      amount: 5.25,
      fromUserId: 'a',
      toUserId: 'b',
      balanceAfter: 16.25,
    });
    const adj = await t.request({ url: '/api/v1/transactions?type=adjustment', as: m });
    expect(adj.body.total).toBe(1);
  });
});
