import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction as inTx } from '../../src/db/database.js';
import type { TestMerchant } from '../helpers/app.js';
import { insertRecords, item, records, TTL_HOURS, usePurgeRig } from '../helpers/idempotency-records.js';
import { useTronApp } from '../helpers/tron.js';

// The purge and `in_progress` claims (src/modules/idempotency/purge.ts), on the real database: a claim whose
// request died goes once it is past the TTL, and a claim a live request still holds never does.

const t = useTronApp({}, 'api');
const rig = usePurgeRig(t, 6);

// The purge is table-wide: each test leaves nothing expired behind for the next one to count.
afterEach(async () => {
  await rig.purger.purgeExpired();
});

/** Makes every record of `m` `hours` older, as if that much time had passed. */
async function age(m: TestMerchant, hours: number): Promise<void> {
  await rig.pool.query(
    `update idempotency_keys set created_at = created_at - make_interval(hours => $3),
                                 locked_at = locked_at - make_interval(hours => $3)
     where merchant_id = $1 and mode = $2`,
    [m.merchantId, m.mode, hours],
  );
}

const inTransaction = <T>(fn: (c: pg.PoolClient) => Promise<T>) => inTx(rig.pool, fn);

describe('a deposit-address claim whose request died', () => {
  it('is purged once past the TTL, and the retry then creates the deposit', async () => {
    const m = await t.merchant();
    const body = { userId: 'u-dead', amount: 100, currency: 'USDT', network: 'TRC20' };
    const send = () =>
      t.request({
        url: '/api/v1/deposit/create',
        as: m,
        body,
        headers: { 'idempotency-key': 'dep-1' },
      });
    // The claim DepositService.create takes for this request, and then the process dies: never completed.
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'dep-1' };
    const input = { userId: 'u-dead', network: 'TRC20', amountMinor: 100_000_000n, metadata: null };
    expect(await t.app.services.idempotency.claim(scope, 'deposit.create', input)).toMatchObject({
      kind: 'new',
    });
    const retried = await send();
    expect([retried.status, retried.body.error?.code]).toEqual([409, 'request_in_progress']);

    expect(await rig.purger.purgeExpired()).toBe(0); // still within the TTL
    await age(m, TTL_HOURS + 1);
    expect(await rig.purger.purgeExpiredBatches()).toEqual({ purged: 1, batches: 1 });
    expect((await records(rig.pool, m)).size).toBe(0);

    const created = await send();
    expect(created.status).toBe(200);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
    const replayed = await send();
    expect([replayed.body.id, replayed.headers['idempotent-replayed']]).toEqual([created.body.id, 'true']);
  });
});

describe('a dead claim a live request holds again', () => {
  it('is skipped, without waiting, while a request completes it in its transaction', async () => {
    const m = await t.merchant();
    await insertRecords(rig.pool, m, ['held', 'dead'], TTL_HOURS + 1, { state: 'in_progress' });
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'held' };
    await inTransaction(async (client) => {
      await rig.claimer.complete(client, scope, { ok: 'held' });
      // The request's transaction holds the row until it commits; the purge skips it (its connections give
      // up on any lock wait) and deletes the other one.
      expect(await rig.purger.purgeExpired()).toBe(1);
    });
    expect(Object.fromEntries(await records(rig.pool, m))).toEqual({
      held: { state: 'completed', result: { ok: 'held' } },
    });
  });

  it('is skipped while a ledger batch that took it over holds its key, which then records it', async () => {
    const m = await t.merchant();
    await insertRecords(rig.pool, m, ['taken', 'dead'], TTL_HOURS + 1, {
      state: 'in_progress',
      ownHash: true,
    });
    await inTransaction(async (client) => {
      // A stale claim of the same request: the batch takes it over and holds the key's advisory lock. The
      // purge skips it (trying that lock, never waiting for it) and deletes the other one.
      expect(await rig.claimer.claimWithin(client, [item(m, 'taken')])).toEqual(['won']);
      expect(await rig.purger.purgeExpired()).toBe(1);
      expect((await records(rig.pool, m)).get('taken')?.state).toBe('in_progress');
      await rig.claimer.recordWithin(client, [{ ...item(m, 'taken'), result: { ok: 'taken' } }]);
    });
    expect(Object.fromEntries(await records(rig.pool, m))).toEqual({
      taken: { state: 'completed', result: { ok: 'taken' } },
    });
  });
});

describe('completing a claim that is no longer there', () => {
  it('fails, so the request commits nothing that no record guards', async () => {
    const m = await t.merchant();
    const scope = { merchantId: m.merchantId, mode: m.mode, key: 'stalled' };
    expect(await rig.claimer.claim(scope, 'deposit.create', { n: 1 })).toMatchObject({ kind: 'new' });
    // The request stalls past the TTL; its claim is purged as dead.
    await age(m, TTL_HOURS + 1);
    expect(await rig.purger.purgeExpired()).toBe(1);
    await expect(inTransaction((c) => rig.claimer.complete(c, scope, { ok: true }))).rejects.toMatchObject({
      code: 'request_in_progress',
    });
    expect((await records(rig.pool, m)).size).toBe(0);
  });
});
