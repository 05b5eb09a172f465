import { afterAll, describe, expect, it } from 'vitest';
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

describe('a deposit whose COMMIT answer is lost', () => {
  it('is answered 200 with the deposit that was committed, which exists once', async () => {
    const m = await t.merchant();
    const create = () =>
      t.request({
        url: '/api/v1/deposit/create',
        as: m,
        body: { userId: 'lost-answer', amount: 100, currency: 'USDT', network: 'TRC20' },
        headers: { 'idempotency-key': 'deposit-lost-answer' },
      });
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
});
