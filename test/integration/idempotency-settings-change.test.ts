import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTronApp } from '../helpers/tron.js';

// A retry with an Idempotency-Key gets its first answer (docs/api.md "Idempotency") for as long as the key is
// kept, whatever changed meanwhile: refusals that depend on the merchant's settings (the rate, withdrawal
// bounds), which an operator changes at any time, must not stand between a retry and its first answer.

const t = useTronApp({}, 'api');

const CREATE_DEPOSIT = `mutation($input: CreateDepositInput!, $key: String) {
  createDeposit(input: $input, idempotencyKey: $key) { __typename ... on Deposit { id replayed } ... on Error { code } }
}`;

function post(m: TestMerchant, url: string, body: Record<string, unknown>, key: string) {
  return t.request({ url, as: m, body, headers: { 'idempotency-key': key } });
}

describe('a retry after the merchant settings changed', () => {
  it('gets the first deposit answer although the rate now makes the amount less than 0.01 Star', async () => {
    const m = await t.merchant();
    await t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt: '10' });
    const body = { userId: 'u_rate', amount: '0.005', currency: 'USDT', network: 'TRC20' };
    const first = await post(m, '/api/v1/deposit/create', body, 'dep-rate-1');
    expect(first.status).toBe(200);
    await t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt: '1' });
    const again = await post(m, '/api/v1/deposit/create', body, 'dep-rate-1');
    expect([again.status, again.headers['idempotent-replayed'], again.text]).toEqual([
      200,
      'true',
      first.text,
    ]);
    const gql = await t.graphql(m, CREATE_DEPOSIT, { input: body, key: 'dep-rate-1' });
    expect(gql.body.data.createDeposit).toEqual({ __typename: 'Deposit', id: first.body.id, replayed: true });
    // A new request is refused at the new rate.
    const fresh = await post(m, '/api/v1/deposit/create', body, 'dep-rate-2');
    expect([fresh.status, fresh.body.error?.code]).toEqual([400, 'invalid_amount']);
    // The refused key was given back: the same key with a valid amount runs.
    const ok = await post(m, '/api/v1/deposit/create', { ...body, amount: '1' }, 'dep-rate-2');
    expect(ok.status).toBe(200);
  });
});
