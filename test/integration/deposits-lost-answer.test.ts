import { afterAll, describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.js';
import { useTronApp } from '../helpers/tron.js';

// A deposit request whose COMMIT reached PostgreSQL but whose answer was lost (the app's connections go through
// a proxy that cuts one right after forwarding its COMMIT: a failover, a network reset). The deposit and its
// address were created, yet the API answered 500. It now answers with the deposit PostgreSQL committed (its
// transaction's fate is read from PostgreSQL's record), and there is exactly one.

const proxyReady = startPgProxy();
let proxy: PgProxy | undefined;
// Registered before the app's own hooks, so it runs after the app has stopped.
afterAll(async () => {
  await proxy?.close();
});
const t = useTronApp({}, 'api', {
  databaseUrl: async (db) => {
    proxy = await proxyReady;
    return proxy.url(db);
  },
});

/** POST /api/v1/deposit/create for `userId`, with Idempotency-Key `key`. */
const deposit = (m: TestMerchant, userId: string, key: string) =>
  t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId, amount: 100, currency: 'USDT', network: 'TRC20' },
    headers: { 'idempotency-key': key },
  });

describe('a deposit whose COMMIT answer is lost', () => {
  it('is answered 200 with the deposit that was committed, which exists once', async () => {
    const m = await t.merchant();
    const create = () => deposit(m, 'lost-answer', 'deposit-lost-answer');
    const p = proxy!;
    const before = p.cuts;
    p.cutAfterCommit();
    const r = await create();
    expect(p.cuts).toBe(before + 1);
    const rows = await t.app.pool.query<{ id: string; address: string }>(
      'select id, address from deposits where merchant_id = $1',
      [m.merchantId],
    );
    // PostgreSQL committed it (whatever the answer), and the answer is that deposit.
    expect(rows.rowCount).toBe(1);
    expect([r.status, r.body.error]).toEqual([200, undefined]);
    expect(rows.rows).toEqual([{ id: r.body.id, address: r.body.depositAddress }]);
    // The key's record is that deposit: a retry is its replay, not a second address.
    const again = await create();
    expect([again.status, again.body.id, again.headers['idempotent-replayed']]).toEqual([
      200,
      r.body.id,
      'true',
    ]);
  });

  it('is answered 500 saying to retry with the same key when the outcome cannot be read, and the retry is its replay', async () => {
    const m = await t.merchant();
    const create = () => deposit(m, 'unknown-outcome', 'deposit-unknown-outcome');
    const p = proxy!;
    // The request runs on connections already open; the lookup's new connection is refused.
    p.refuseNewConnections(true);
    let r: Awaited<ReturnType<typeof create>>;
    try {
      p.cutAfterCommit();
      r = await create();
    } finally {
      p.refuseNewConnections(false);
    }
    expect([r.status, r.body.error?.code]).toEqual([500, 'internal_error']);
    expect(r.body.error.message).toMatch(/whether it was applied could not be found out/);
    expect(r.body.error.message).toMatch(/same Idempotency-Key/);
    const rows = async () =>
      (await t.app.pool.query('select id from deposits where merchant_id = $1', [m.merchantId])).rows;
    // PostgreSQL committed it: the retry with the same key is its replay, not a second deposit.
    await expect.poll(async () => (await rows()).length).toBe(1);
    const again = await create();
    expect([again.status, again.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(await rows()).toEqual([{ id: again.body.id }]);
  });
});
