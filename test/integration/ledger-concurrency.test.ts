import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';

const t = useTestApp();

/** The books must balance: per merchant and mode, and per account against its own entries. */
const checkInvariants = (merchantId: string, acknowledged?: string[]) =>
  checkLedgerInvariants(t.app.pool, { merchantId, acknowledged });

describe('concurrency', () => {
  it('200 concurrent transfers from a payer funded for exactly 100 of them: exactly 100 succeed', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '100.00');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.request({
          url: '/api/v1/transfer',
          as: m,
          body: { fromUserId: 'payer', toUserId: `payee${i % 7}`, amount: 1 },
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400 && r.body.error.code === 'insufficient_funds');
    expect(ok).toHaveLength(100);
    expect(refused).toHaveLength(100);
    expect((await t.request({ url: '/api/v1/balance/payer', as: m })).body.balance).toBe(0);
    // Every success reported a distinct, consistent balance for the payer: 99, 98, …, 0.
    expect(ok.map((r) => r.body.fromBalance).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    await checkInvariants(
      m.merchantId,
      ok.map((r) => r.body.id),
    );
  });

  it('keeps the ledger invariant through 5,000 random concurrent transfers among 50 users', async () => {
    const m = await t.merchant();
    const users = Array.from({ length: 50 }, (_, i) => `user_${i}`);
    for (const u of users) await t.credit(m, u, '100.00');
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const jobs = Array.from({ length: 5000 }, () => {
      const from = users[rand(50)]!;
      let to = users[rand(50)]!;
      if (to === from) to = 'newcomer';
      return {
        fromUserId: from,
        toUserId: to,
        amount: `${rand(60)}.${String(rand(99) + 1).padStart(2, '0')}`,
      };
    });
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < jobs.length) {
          const body = jobs[next++]!;
          const r = await t.request({ url: '/api/v1/transfer', as: m, body });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status !== 200) expect(r.body.error.code).toBe('insufficient_funds');
        }
      }),
    );
    expect([...statuses.keys()].every((s) => s === 200 || s === 400)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(1500);
    expect(statuses.get(400)).toBeGreaterThan(10);
    await checkInvariants(m.merchantId);
    const total = await t.app.pool.query(
      `select sum(balance_minor)::text as s from accounts where merchant_id = $1 and kind = 'user'`,
      [m.merchantId],
    );
    expect(total.rows[0].s).toBe('500000');
    // Larger batches really formed under this load (the point of the batching design).
    expect(t.app.services.ledger.batchStats.maxBatch).toBeGreaterThan(1);
  });
});
