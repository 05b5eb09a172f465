import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failPayout } from '../../src/modules/payouts/settle.js';
import type { TestMerchant } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { broadcastPayout } from '../helpers/payout-state.js';
import { useTronApp } from '../helpers/tron.js';

// The per-user 24-hour withdrawal limit (docs/api.md, Withdrawals). It was checked before the ledger batch:
// concurrent withdrawals of one user all passed it together (10 × 20 Stars under a limit of 100 were all
// accepted), and the retry of a withdrawal that had itself used up the limit was refused (400) instead of
// replayed. It is now decided inside the batch, on the user's locked account.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
// The hot wallet the payout is sent from: never the user's wallet (payouts to the service's own addresses are refused).
const HOT_WALLET = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';

async function merchantWithLimit(limit: string): Promise<TestMerchant> {
  const m = await t.merchant();
  await t.app.services.merchants.updateSettings(m.merchantId, { withdrawalDailyLimit: limit });
  return m;
}

const withdraw = (m: TestMerchant, userId: string, amount: number | string, key?: string) =>
  t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId, amount, walletAddress: WALLET, network: 'TRC20' },
    headers: key ? { 'idempotency-key': key } : {},
  });

async function withdrawn(m: TestMerchant, userId: string): Promise<bigint> {
  const r = await t.app.pool.query<{ s: string }>(
    `select coalesce(sum(amount_minor), 0)::text as s from withdrawals where merchant_id = $1 and user_id = $2`,
    [m.merchantId, userId],
  );
  return BigInt(r.rows[0]!.s);
}

describe('the daily withdrawal limit', () => {
  it('replays the retry of a withdrawal that used the limit up, instead of refusing it', async () => {
    const m = await merchantWithLimit('100.00');
    await t.credit(m, 'dl_user', '1000');
    const first = await withdraw(m, 'dl_user', 100, 'dl-retry');
    expect(first.status).toBe(200);
    const retry = await withdraw(m, 'dl_user', '100.00', 'dl-retry');
    expect([retry.status, retry.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(retry.body.id).toBe(first.body.id);
    expect(await withdrawn(m, 'dl_user')).toBe(10000n);
  });

  it('is not stored as the answer of the key: the request can be sent again once it fits', async () => {
    const m = await merchantWithLimit('100.00');
    await t.credit(m, 'dl_again', '1000');
    expect((await withdraw(m, 'dl_again', 90)).status).toBe(200);
    const over = await withdraw(m, 'dl_again', 20, 'dl-later');
    expect([over.status, over.body.error]).toMatchObject([400, { code: 'invalid_amount', param: 'amount' }]);
    await t.app.services.merchants.updateSettings(m.merchantId, { withdrawalDailyLimit: '200.00' });
    const later = await withdraw(m, 'dl_again', 20, 'dl-later');
    expect([later.status, later.headers['idempotent-replayed']]).toEqual([200, undefined]);
  });

  it("does not count a withdrawal whose payout failed: its Stars came back, as a rejected one's do", async () => {
    const m = await merchantWithLimit('100.00');
    await t.credit(m, 'dl_failed', '1000');
    const first = await withdraw(m, 'dl_failed', 100);
    expect(first.status).toBe(200);
    const tenant = { merchantId: m.merchantId, mode: m.mode };
    await t.app.services.withdrawals.approve(tenant, first.body.id, 'admin:test');
    const { w, tx } = await broadcastPayout(t.app.pool, first.body.id, HOT_WALLET);
    expect(await failPayout(t.app.services.ledger, w, tx, 10, 'chain_failed', 'reverted', 1n)).toBeTruthy();
    expect((await t.request({ url: '/api/v1/balance/dl_failed', as: m })).body.balance).toBe(1000);
    const again = await withdraw(m, 'dl_failed', 100);
    expect([again.status, again.body.error]).toEqual([200, undefined]);
    // A completed or still open one does count: a third is over the limit.
    const over = await withdraw(m, 'dl_failed', 10);
    expect([over.status, over.body.error?.code]).toEqual([400, 'invalid_amount']);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('holds for concurrent withdrawals of one user: what is accepted never exceeds it', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 10, max: 120 }),
        fc.array(fc.integer({ min: 10, max: 60 }), { minLength: 2, maxLength: 12 }),
        fc.boolean(),
        async (limit, amounts, keyed) => {
          const m = await merchantWithLimit(`${limit}.00`);
          const user = `dl_c${n++}`;
          await t.credit(m, user, '100000');
          const results = await Promise.all(
            amounts.map((a, i) => withdraw(m, user, a, keyed ? `dl-c-${i}` : undefined)),
          );
          let accepted = 0n;
          results.forEach((r, i) => {
            if (r.status === 200) accepted += BigInt(amounts[i]!) * 100n;
            else
              expect([r.status, r.body.error?.code], JSON.stringify(r.body)).toEqual([400, 'invalid_amount']);
          });
          expect(accepted, `limit ${limit}, asked ${amounts}`).toBeLessThanOrEqual(BigInt(limit) * 100n);
          // Not refusing too much either: the smallest one fits, unless others were accepted before it.
          if (Math.min(...amounts) <= limit) expect(accepted).toBeGreaterThan(0n);
          expect(await withdrawn(m, user)).toBe(accepted);
          await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
        },
      ),
      { ...fuzzParams(), seed: fuzzParams().seed ?? 4244, numRuns: 10 },
    );
  });
});
