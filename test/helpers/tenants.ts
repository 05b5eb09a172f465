import type { TestContext, TestMerchant } from './app.js';

/** The same merchant seen with a new live-mode key: to the API, another tenant than its test mode. */
export async function liveKeyOf(
  t: TestContext,
  m: TestMerchant,
  scopes: string[] = [],
): Promise<TestMerchant & { mode: 'live' }> {
  const key = await t.app.services.merchants.createKey(m.merchantId, 'live', {
    rateLimitPerSecond: 100_000,
    scopes,
  });
  return { ...m, keyId: key.keyId, apiKey: key.apiKey, apiSecret: key.apiSecret, mode: 'live' };
}
