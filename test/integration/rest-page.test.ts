import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// The page's own examples (seed/novapayments-api-docs.txt) with its field names and JSON types.
const t = useTestApp();

// The page's responses as it prints them (copied from seed/novapayments-api-docs.txt): merchants coded their
// parsers from these texts, so each number must come back written as the page writes it, not only with the
// same value: `"amount": 50` is a whole number (a Go `Amount int`), `"fromBalance": 1180.50` has two decimals.
const PAGE = {
  balance: `{ "userId": "user_8a2f", "balance": 4520.00, "currency": "Stars", "updatedAt": "2025-03-06T00:05:00Z" }`,
  transfer: `{ "id": "tx_001", "status": "completed", "amount": 50, "fromBalance": 1180.50, "toBalance": 4570.00 }`,
  transaction: `{ "id": "tx_001", "type": "transfer", "amount": 50, "balanceBefore": 4520.00, "balanceAfter": 4570.00,
    "createdAt": "2025-03-05T22:30:00Z" }`,
};

/** The page's numbers of an example, each as `"key":text` the way compact JSON writes it. */
const pageNumbers = (example: string) =>
  [...example.matchAll(/"(\w+)": (-?\d+(?:\.\d+)?)\b/g)].map(([, key, text]) => `"${key}":${text}`);

/** Every number of the page's example appears in the raw answer written exactly as the page writes it. */
function expectPageNumbers(raw: string, example: string) {
  const numbers = pageNumbers(example);
  expect(numbers.length).toBeGreaterThan(0);
  for (const n of numbers) expect(raw, n).toMatch(new RegExp(`${n.replace(/\./g, '\\.')}[,}]`));
}

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
    // Byte for byte in the page's formats: "amount": 50 (no decimals), "fromBalance": 1180.50, "toBalance": 4570.00.
    expectPageNumbers(res.text, PAGE.transfer);
    expect(res.text).toMatch(
      /^\{"id":"tx_\w+","status":"completed","amount":50,"fromBalance":1180\.50,"toBalance":4570\.00,/,
    );
    const history = await t.request({ url: '/api/v1/transactions?userId=user_8a2f&limit=1', as: m });
    expect(history.status).toBe(200);
    expectPageNumbers(history.text, PAGE.transaction);
    const balance = await t.request({ url: '/api/v1/balance/user_8a2f', as: m });
    expectPageNumbers(balance.text, PAGE.balance.replace('4520.00', '4570.00'));
  });

  it('prints an amount that is not whole with two decimals (Stars), and negative amounts by the same rule', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '100');
    const send = (amount: unknown) =>
      t.request({
        url: '/api/v1/transfer',
        as: m,
        body: { fromUserId: 'user_3b1c', toUserId: 'user_8a2f', amount },
      });
    const half = await send(12.5);
    expect(half.status).toBe(200);
    expect(half.text).toMatch(/"amount":12\.50,"fromBalance":87\.50,"toBalance":12\.50,/);
    const whole = await send('30.00');
    expect(whole.text).toMatch(/"amount":30,"fromBalance":57\.50,"toBalance":42\.50,/);
    const payer = await t.request({ url: '/api/v1/transactions?userId=user_3b1c&type=transfer', as: m });
    expect(payer.text).toMatch(
      /"amount":-30,"direction":"debit","balanceBefore":87\.50,"balanceAfter":57\.50,/,
    );
    expect(payer.text).toMatch(
      /"amount":-12\.50,"direction":"debit","balanceBefore":100\.00,"balanceAfter":87\.50,/,
    );
    const payee = await t.request({ url: '/api/v1/transactions?userId=user_8a2f', as: m });
    expect(payee.text).toMatch(
      /"amount":30,"direction":"credit","balanceBefore":12\.50,"balanceAfter":42\.50,/,
    );
  });

  it('replays a transfer with the first answer byte for byte, amount format included', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_3b1c', '100');
    for (const amount of [50, 12.5]) {
      const send = () =>
        t.request({
          url: '/api/v1/transfer',
          as: m,
          body: { fromUserId: 'user_3b1c', toUserId: 'user_8a2f', amount },
          headers: { 'idempotency-key': `page-amount-${amount}` },
        });
      const [first, again] = [await send(), await send()];
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(first.text).toContain(amount === 50 ? '"amount":50,' : '"amount":12.50,');
    }
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
