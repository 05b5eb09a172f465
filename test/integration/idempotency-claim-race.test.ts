import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/modules/idempotency/index.js';
import { useTestApp } from '../helpers/app.js';

// Two ledger batches claiming one Idempotency-Key (claimWithin), the second starting while the first commits.
// The claim read the key's record in the statement that took its advisory lock, from the snapshot that
// statement started with: when the first batch committed and released the lock between the two, the second
// got the lock, did not see the record, and won the key too (two transfers under one key, found by
// test/integration/mixtures-keys.test.ts, about one race in 40 here). Only one may win.
const t = useTestApp();

describe('a key claimed inside two batches as the first commits', () => {
  it('is won by one of them only', { timeout: 30_000 }, async () => {
    const m = await t.merchant();
    const idempotency = t.app.services.idempotency;
    const hash = requestHash('transfer', { amount: '1' });
    const doubleWins: string[] = [];
    for (let i = 0; i < 400; i++) {
      const item = {
        scope: { merchantId: m.merchantId, mode: m.mode, key: `race-${i}` },
        operation: 'transfer',
        hash,
      };
      const first = await t.app.pool.connect();
      const second = await t.app.pool.connect();
      try {
        await first.query('begin');
        const [a] = await idempotency.claimWithin(first, [item]);
        await idempotency.recordWithin(first, [{ ...item, result: { ok: true, value: {} } }]);
        await second.query('begin');
        // The first batch's COMMIT and the second's claim race.
        const committed = first.query('commit');
        const [b] = await idempotency.claimWithin(second, [item]);
        await committed;
        await second.query('rollback');
        expect(a).toBe('won');
        if (b === 'won') doubleWins.push(item.scope.key);
      } finally {
        first.release();
        second.release();
      }
    }
    expect(doubleWins).toEqual([]);
  });
});
