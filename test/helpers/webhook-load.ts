import { expect } from 'vitest';
import type { TestContext, TestMerchant } from './app.js';

// The load the webhook tests share: an endpoint subscribed for a merchant, and transfers of 1 Star from the
// merchant's funded `payer`, one after another, each answered 200.

export async function subscribe(t: TestContext, m: TestMerchant, url: string): Promise<void> {
  await t.app.services.webhooks.create({ merchantId: m.merchantId, mode: 'test' }, { url });
}

export async function payerTransfers(t: TestContext, m: TestMerchant, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await t.request({
      url: '/api/v1/transfer',
      as: m,
      body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
    });
    expect(res.status).toBe(200);
  }
}
