import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTronApp } from '../helpers/tron.js';

// What POST /api/v1/deposit/create and createDeposit answer a merchant, as docs/api.md says: a retry with the
// same Idempotency-Key gets the first answer again (the same status and body), and a network it does not take
// is refused with the networks there are.

const t = useTronApp({}, 'api');

const CREATE_DEPOSIT = `mutation($input: CreateDepositInput!, $key: String) {
  createDeposit(input: $input, idempotencyKey: $key) {
    __typename
    ... on Deposit { id paymentUrl replayed }
    ... on Error { code message }
  }
}`;

function create(m: TestMerchant, body: Record<string, unknown>, key?: string) {
  return t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body,
    headers: key ? { 'idempotency-key': key } : {},
  });
}

describe('a deposit created again with its Idempotency-Key', () => {
  it('answers the first body byte for byte, its paymentUrl included, on REST and GraphQL', async () => {
    const m = await t.merchant();
    const body = { userId: 'user_8a2f', amount: 100, currency: 'USDT', network: 'TRC20' };
    const first = await create(m, body, 'deposit-2001');
    expect(first.status).toBe(200);
    // A newly minted payment-page token would differ (its jti is new every time).
    const again = await create(m, { ...body, amount: '100.00' }, 'deposit-2001');
    expect([again.status, again.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(again.text).toBe(first.text);
    const gql = await t.graphql(m, CREATE_DEPOSIT, {
      input: { ...body, amount: '100' },
      key: 'deposit-2001',
    });
    expect(gql.body.data.createDeposit).toEqual({
      __typename: 'Deposit',
      id: first.body.id,
      paymentUrl: first.body.paymentUrl,
      replayed: true,
    });
  });

  it('answers the first link even when its token was revoked since; GET /deposit/:id mints a working one', async () => {
    const m = await t.merchant();
    const body = { userId: 'user_8a2f', amount: 25, currency: 'USDT', network: 'TRC20' };
    const first = await create(m, body, 'deposit-2002');
    expect(first.status).toBe(200);
    const linkToken = (url: string) => new URL(url).searchParams.get('t')!;
    const opens = async (url: string) =>
      (
        await t.request({
          url: '/graphql',
          body: { query: '{ __typename }' },
          headers: { authorization: `Bearer ${linkToken(url)}` },
        })
      ).status;
    expect(await opens(first.body.paymentUrl)).toBe(200);
    // Ops revoke the link's token (npm run cli -- admin revoke <token>).
    await t.app.services.tokens.revoke(linkToken(first.body.paymentUrl), 'test: link leaked');
    // The replay is still the first answer, byte for byte: its link no longer opens.
    const again = await create(m, body, 'deposit-2002');
    expect([again.status, again.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(again.text).toBe(first.text);
    expect(await opens(again.body.paymentUrl)).toBe(401);
    // Reading the deposit hands out a link with a token of its own, which opens.
    const read = await t.request({ url: `/api/v1/deposit/${first.body.id}`, as: m });
    expect(read.status).toBe(200);
    expect(read.body.paymentUrl).not.toBe(first.body.paymentUrl);
    expect(await opens(read.body.paymentUrl)).toBe(200);
  });
});

describe('a deposit on a network the server does not take', () => {
  it('names every network there is, POLYGON included, and says when one is only turned off', async () => {
    const m = await t.merchant();
    const base = { userId: 'u', amount: 10, currency: 'USDT' };
    const doge = await create(m, { ...base, network: 'DOGE' });
    expect([doge.status, doge.body.error.code, doge.body.error.message]).toEqual([
      400,
      'unsupported_network',
      'network must be one of TRC20, ERC20, BEP20, POLYGON',
    ]);
    // This server runs only the TRON devnet: POLYGON is a network, just not turned on here.
    const polygon = await create(m, { ...base, network: 'POLYGON' });
    expect([polygon.status, polygon.body.error.code, polygon.body.error.message]).toEqual([
      400,
      'unsupported_network',
      'POLYGON is not configured for test mode on this server',
    ]);
  });
});

describe('a deposit worth less than 0.01 Star', () => {
  it('is refused at creation, naming amount and the minimum at the merchant rate, on REST and GraphQL', async () => {
    const m = await t.merchant();
    const base = { userId: 'u_dust', currency: 'USDT', network: 'TRC20' };
    const dust = await create(m, { ...base, amount: '0.000001' });
    expect([dust.status, dust.body.error]).toEqual([
      400,
      {
        code: 'invalid_amount',
        message: 'amount is below the minimum deposit of 0.01 USDT (0.01 Star at 1 Stars per USDT)',
        param: 'amount',
        requestId: expect.stringMatching(/^req_/),
      },
    ]);
    expect((await create(m, { ...base, amount: '0.01' })).status).toBe(200);
    const gql = await t.graphql(m, CREATE_DEPOSIT, { input: { ...base, amount: '0.009999' } });
    expect(gql.body.data.createDeposit).toMatchObject({
      __typename: 'ValidationError',
      code: 'invalid_amount',
    });
    expect(gql.body.data.createDeposit.message).toMatch(/minimum deposit of 0\.01 USDT/);

    // At 150 Stars per USDT, 0.000067 USDT is the least worth 0.01 Star.
    await t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt: '150' });
    const below = await create(m, { ...base, amount: '0.000066' });
    expect([below.status, below.body.error.message]).toEqual([
      400,
      'amount is below the minimum deposit of 0.000067 USDT (0.01 Star at 150 Stars per USDT)',
    ]);
    expect((await create(m, { ...base, amount: '0.000067' })).status).toBe(200);
  });
});
