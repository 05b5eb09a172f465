import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import type { ItemOutcome, PostingItem } from '../../src/modules/ledger/types.js';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';

// One bad item must never sink its batch: the others are decided and committed, the bad one fails alone with
// nothing of it committed, and an answer of 500 never hides a committed change.
const t = useTestApp();

function transferItem(m: TestMerchant, from: string, to: string, description: string): PostingItem {
  return {
    merchantId: m.merchantId,
    mode: m.mode,
    postings: [
      {
        type: 'transfer',
        from: { kind: 'user', code: from },
        to: { kind: 'user', code: to },
        amountMinor: 100n,
        description,
      },
    ],
  };
}

const countTx = async (m: TestMerchant) =>
  (
    await t.app.pool.query('select count(*)::int as n from ledger_transactions where merchant_id = $1', [
      m.merchantId,
    ])
  ).rows[0].n as number;

describe('ledger batch isolation', () => {
  it('commits the good items of a batch that PostgreSQL refuses one item of, across merchants', async () => {
    const a = await t.merchant();
    const b = await t.merchant();
    await t.credit(a, 'payer', '1000');
    await t.credit(b, 'payer', '1000');
    const before = [await countTx(a), await countTx(b)];
    // Bypass the edge's checks: PostgreSQL itself refuses U+0000 in text, as it would any value a
    // validation gap let through.
    const items = Array.from({ length: 60 }, (_, i) =>
      transferItem(i % 2 ? a : b, 'payer', `payee_${i}`, i % 12 === 5 ? 'x\u0000y' : `ok ${i}`),
    );
    const settled = await Promise.allSettled(items.map((item) => t.app.services.ledger.post(item)));
    const bad = items.map((item) => item.postings[0]!.description!.includes('\u0000'));
    const committedIds: string[] = [];
    settled.forEach((s, i) => {
      if (bad[i]) {
        expect(s.status).toBe('rejected');
        const err = (s as PromiseRejectedResult).reason;
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).status).toBe(400);
      } else {
        expect(s.status).toBe('fulfilled');
        const outcome = (s as PromiseFulfilledResult<ItemOutcome>).value;
        expect(outcome.ok).toBe(true);
        if (outcome.ok) committedIds.push(outcome.transactions[0]!.id);
      }
    });
    expect(bad.filter(Boolean)).toHaveLength(5);
    expect(t.app.services.ledger.batchStats.maxBatch).toBeGreaterThan(1);
    expect([(await countTx(a)) - before[0]!, (await countTx(b)) - before[1]!]).toEqual([25, 30]);
    await checkLedgerInvariants(t.app.pool, { acknowledged: committedIds });
  });

  it('fails an item whose own hook throws alone, with nothing of it committed', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    const items = Array.from({ length: 20 }, (_, i): PostingItem => {
      const item = transferItem(m, 'payer', `hooked_${i}`, `n ${i}`);
      if (i === 7) {
        item.after = async () => {
          throw new Error('hook failed');
        };
      }
      return item;
    });
    const before = await countTx(m);
    const settled = await Promise.allSettled(items.map((item) => t.app.services.ledger.post(item)));
    expect(settled.map((s) => s.status)).toEqual(items.map((_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
    expect((await countTx(m)) - before).toBe(19);
    const payee = await t.app.pool.query(
      `select count(*)::int as n from accounts where merchant_id = $1 and code = 'hooked_7'`,
      [m.merchantId],
    );
    expect(payee.rows[0].n).toBe(0);
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('answers 60 concurrent REST transfers with 5 unstorable descriptions: 55 × 200 committed, 5 × 400', async () => {
    const m = await t.merchant();
    const other = await t.merchant();
    await t.credit(m, 'payer', '1000');
    await t.credit(other, 'payer', '1000');
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.request({
          url: '/api/v1/transfer',
          as: i % 3 === 0 ? other : m,
          rawBody: `{"fromUserId":"payer","toUserId":"rest_${i}","amount":1,"description":"${i % 12 === 5 ? 'x\\u0000y' : 'fine'}"}`,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400);
    expect(ok).toHaveLength(55);
    expect(refused).toHaveLength(5);
    for (const r of refused)
      expect(r.body.error).toMatchObject({ code: 'invalid_request', param: 'description' });
    await checkLedgerInvariants(t.app.pool, { acknowledged: ok.map((r) => r.body.id) });
    expect((await countTx(m)) + (await countTx(other))).toBe(55 + 2);
  });
});
