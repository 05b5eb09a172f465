import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { liveKeyOf } from '../helpers/tenants.js';

// One Idempotency-Key string used at once by two merchants and by both modes of one merchant: three
// independent keys. Sent together (so they often share a ledger batch), each tenant's request is posted once
// in its own books, none is answered with another's transaction, and each replay answers its own.
const t = useTestApp();

async function transfer(m: TestMerchant, key: string, amount: number) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: { fromUserId: 'payer', toUserId: 'payee', amount },
    headers: { 'idempotency-key': key },
  });
  return { status: r.status, id: r.body.id as string, replayed: r.headers['idempotent-replayed'] === 'true' };
}

const balanceOf = async (m: TestMerchant, user: string) =>
  (await t.request({ method: 'GET', url: `/api/v1/balance/${user}`, as: m })).body.balance as number;

describe('idempotency keys of different tenants', () => {
  it('keeps one key string of two merchants and two modes apart, even in one batch', async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    const aLive = await liveKeyOf(t, a);
    const tenants = [a, b, aLive];
    for (const m of tenants) await t.credit(m, 'payer', '1000');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
        async (suffix, amounts) => {
          // A new key each run: fast-check may draw one suffix twice, and a key's second request with other
          // amounts is rightly 409 idempotency_key_reused (seed -1638200178 drew "key" twice in a row).
          const key = `k${run++}-${suffix}`;
          const before = await Promise.all(tenants.map((m) => balanceOf(m, 'payer')));
          const first = await Promise.all(tenants.map((m, i) => transfer(m, key, amounts[i]!)));
          expect(first.map((r) => [r.status, r.replayed])).toEqual(tenants.map(() => [200, false]));
          expect(new Set(first.map((r) => r.id)).size).toBe(3);
          const again = await Promise.all(tenants.map((m, i) => transfer(m, key, amounts[i]!)));
          expect(again).toEqual(first.map((r) => ({ ...r, replayed: true })));
          const after = await Promise.all(tenants.map((m) => balanceOf(m, 'payer')));
          expect(after).toEqual(before.map((v, i) => v - amounts[i]!));
        },
      ),
      { ...fuzzParams(), numRuns: Math.min(fuzzParams().numRuns ?? 12, 30) },
    );
  });
});
