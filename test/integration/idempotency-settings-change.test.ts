import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { KEY_LOCK_SPACE, keyLockId } from '../../src/modules/idempotency/key-lock.js';
import type { TestMerchant } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { useTronApp } from '../helpers/tron.js';

// A retry with an Idempotency-Key gets its first answer (docs/api.md "Idempotency") for as long as the key is
// kept, whatever changed meanwhile: refusals that depend on the merchant's settings (the rate, withdrawal
// bounds), which an operator changes at any time, must not stand between a retry and its first answer.

const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

const CREATE_DEPOSIT = `mutation($input: CreateDepositInput!, $key: String) {
  createDeposit(input: $input, idempotencyKey: $key) { __typename ... on Deposit { id replayed } ... on Error { code } }
}`;
const CREATE_WITHDRAWAL = `mutation($input: CreateWithdrawalInput!, $key: String) {
  createWithdrawal(input: $input, idempotencyKey: $key) { __typename ... on Withdrawal { id replayed } ... on Error { code } }
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

  it('gets the first withdrawal answer although the amount is now outside the withdrawal bounds', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u_bounds', '1000');
    const body = { userId: 'u_bounds', amount: 15, walletAddress: WALLET, network: 'TRC20' };
    const big = { ...body, amount: 500 };
    const first = await post(m, '/api/v1/withdraw/create', body, 'wd-bounds-1');
    const firstBig = await post(m, '/api/v1/withdraw/create', big, 'wd-bounds-2');
    expect([first.status, firstBig.status]).toEqual([200, 200]);
    await t.app.services.merchants.updateSettings(m.merchantId, {
      withdrawalMinimum: '20.00',
      withdrawalMaximum: '100.00',
    });
    for (const [b, key, answer] of [
      [body, 'wd-bounds-1', first],
      [big, 'wd-bounds-2', firstBig],
    ] as const) {
      const again = await post(m, '/api/v1/withdraw/create', b, key);
      expect([again.status, again.headers['idempotent-replayed'], again.text]).toEqual([
        200,
        'true',
        answer.text,
      ]);
      const gql = await t.graphql(m, CREATE_WITHDRAWAL, { input: b, key });
      expect(gql.body.data.createWithdrawal).toEqual({
        __typename: 'Withdrawal',
        id: answer.body.id,
        replayed: true,
      });
    }
    // New requests are refused by the new bounds, and nothing more is held.
    const fresh = await post(m, '/api/v1/withdraw/create', body, 'wd-bounds-3');
    expect([fresh.status, fresh.body.error?.code]).toEqual([400, 'invalid_amount']);
    const balance = await t.request({ url: '/api/v1/balance/u_bounds', as: m });
    expect(balance.body.balance).toBe(485);
  });

  it('gets the first withdrawal answer although its wallet has become a hot wallet of ours since', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u_hot', '100');
    const wallet = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;
    const body = { userId: 'u_hot', amount: 20, walletAddress: wallet, network: 'TRC20' };
    const first = await post(m, '/api/v1/withdraw/create', body, 'wd-hot-1');
    expect(first.status).toBe(200);
    await t.app.pool.query(
      `insert into hot_wallets (key, family, address, networks) values ($1, 'tron', $2, '{TRC20}')`,
      [`test-hot-${wallet}`, wallet],
    );
    const again = await post(m, '/api/v1/withdraw/create', body, 'wd-hot-1');
    expect([again.status, again.headers['idempotent-replayed'], again.text]).toEqual([
      200,
      'true',
      first.text,
    ]);
    const fresh = await post(m, '/api/v1/withdraw/create', body, 'wd-hot-2');
    expect([fresh.status, fresh.body.error?.code]).toEqual([400, 'invalid_address']);
  });
});

/** Takes an Idempotency-Key's advisory lock on `c`, as a ledger batch running its request holds it. */
const holdKeyLock = (c: pg.ClientBase, m: TestMerchant, key: string) =>
  c.query(`select pg_advisory_lock(${KEY_LOCK_SPACE}, ${keyLockId('$1::text', '$2::text', '$3::text')})`, [
    m.merchantId,
    'test',
    key,
  ]);

describe('a retry while its first request is still running', () => {
  it('is request_in_progress (409), as before the settings changed, not a 400 the client would take as final', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u_running', '100');
    const body = { userId: 'u_running', amount: 15, walletAddress: WALLET, network: 'TRC20' };
    // The key's lock, as a ledger batch running the first request holds it until it commits.
    const lock = await t.app.pool.connect();
    try {
      await holdKeyLock(lock, m, 'wd-running-1');
      const within = await post(m, '/api/v1/withdraw/create', body, 'wd-running-1');
      expect([within.status, within.body.error?.code]).toEqual([409, 'request_in_progress']);
      await t.app.services.merchants.updateSettings(m.merchantId, { withdrawalMinimum: '20.00' });
      const retry = await post(m, '/api/v1/withdraw/create', body, 'wd-running-1');
      expect([retry.status, retry.body.error?.code]).toEqual([409, 'request_in_progress']);
      const gql = await t.graphql(m, CREATE_WITHDRAWAL, { input: body, key: 'wd-running-1' });
      expect(gql.body.data.createWithdrawal).toEqual({
        __typename: 'IdempotencyError',
        code: 'request_in_progress',
      });
    } finally {
      await lock.query('select pg_advisory_unlock_all()');
      lock.release();
    }
    // Once nothing runs it, a request the new minimum refuses is refused.
    const after = await post(m, '/api/v1/withdraw/create', body, 'wd-running-1');
    expect([after.status, after.body.error?.code]).toEqual([400, 'invalid_amount']);

    // The same lock numbers held in another database of the server are another deployment's key: advisory
    // locks are per database, while pg_locks lists them all.
    const other = new pg.Client({ connectionString: databaseUrl('postgres') });
    await other.connect();
    try {
      await holdKeyLock(other, m, 'wd-running-2');
      const elsewhere = await post(m, '/api/v1/withdraw/create', body, 'wd-running-2');
      expect([elsewhere.status, elsewhere.body.error?.code]).toEqual([400, 'invalid_amount']);
    } finally {
      await other.end();
    }
  });
});

describe('a withdrawal at a rate of 0 Stars per USDT', () => {
  it('is refused with a 400 naming amount, holding nothing (it was a division by zero: 500)', async () => {
    const m = await t.merchant();
    await t.credit(m, 'u_zero', '100');
    await t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt: '0' });
    const body = { userId: 'u_zero', amount: 50, walletAddress: WALLET, network: 'TRC20' };
    const r = await post(m, '/api/v1/withdraw/create', body, 'wd-zero-1');
    expect([r.status, r.body.error?.code, r.body.error?.param]).toEqual([400, 'invalid_request', 'amount']);
    expect(r.body.error.message).toMatch(/rate is 0 Stars per USDT/);
    const gql = await t.graphql(m, CREATE_WITHDRAWAL, { input: body });
    expect(gql.body.data.createWithdrawal).toEqual({
      __typename: 'ValidationError',
      code: 'invalid_request',
    });
    const balance = await t.request({ url: '/api/v1/balance/u_zero', as: m });
    expect(balance.body.balance).toBe(100);
  });
});

describe('a deposit at a rate of 0 Stars per USDT', () => {
  it('is refused with a 400 naming amount (it was created, and any payment credited 0 Stars); a retry of one made before gets its answer', async () => {
    const m = await t.merchant();
    const body = { userId: 'u_zero_dep', amount: '5', currency: 'USDT', network: 'TRC20' };
    const before = await post(m, '/api/v1/deposit/create', body, 'dep-zero-1');
    expect(before.status).toBe(200);
    await t.app.services.merchants.updateSettings(m.merchantId, { starsPerUsdt: '0' });
    const r = await post(m, '/api/v1/deposit/create', body, 'dep-zero-2');
    expect([r.status, r.body.error?.code, r.body.error?.param]).toEqual([400, 'invalid_request', 'amount']);
    expect(r.body.error.message).toMatch(/rate is 0 Stars per USDT/);
    const again = await post(m, '/api/v1/deposit/create', body, 'dep-zero-1');
    expect([again.status, again.body.id]).toEqual([200, before.body.id]);
    const count = await t.app.pool.query<{ n: number }>(
      `select count(*)::int as n from deposits where merchant_id = $1`,
      [m.merchantId],
    );
    expect(count.rows[0]!.n).toBe(1);
  });
});
