import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { DOORS, type Door, doors, expectRefused, ledgerSnapshot, TRANSFER } from '../helpers/mixtures.js';

// One idempotency key sent at once through the three doors with the same request (written differently:
// another key order, a number for a string), another request, and input that fails validation. One effect at
// most; the same request gets the first answer (one transaction id) or request_in_progress; another request
// gets idempotency_key_reused or request_in_progress; invalid input is refused and is not stored; after the
// race settles, a retry of the winner replays it on every door.
const t = useTestApp();

/** Texts of request A (same normalised input), request B, and invalid input. */
const SAME = [
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50"}',
  '{"amount":1.5,"toUserId":"k_b","fromUserId":"k_a"}',
  '{"toUserId":"k_b","fromUserId":"k_a","amount":"1.5"}',
];
const OTHER = [
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.51"}',
  '{"fromUserId":"k_a","toUserId":"k_c","amount":"1.50"}',
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50","description":"x"}',
];
const INVALID = [
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"-1.50"}',
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50","amout":1}',
  '{"fromUserId":"k_a","toUserId":"k_a","amount":"1.50"}',
  '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.505"}',
];

type Kind = 'same' | 'other' | 'invalid';
const request = fc.record({
  kind: fc.constantFrom<Kind>('same', 'same', 'other', 'invalid'),
  variant: fc.nat(3),
  door: fc.constantFrom<Door>(...DOORS),
});
const texts: Record<Kind, string[]> = { same: SAME, other: OTHER, invalid: INVALID };
const textOf = (r: { kind: Kind; variant: number }) => texts[r.kind][r.variant % texts[r.kind].length]!;
/** Which request a text is: every SAME text is one request, each OTHER text one of its own. */
const requestOf = (r: { kind: Kind; variant: number }) =>
  r.kind === 'same' ? 'same' : `${r.kind}${r.variant % texts[r.kind].length}`;

describe('one idempotency key on every door at once', () => {
  it('makes at most one transfer, and answers each request as documented', { timeout: 60_000 }, async () => {
    const m = await t.merchant();
    await t.credit(m, 'k_a', '1000000');
    const d = doors(t, m);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: 2, maxLength: 10 }), async (batch) => {
          const key = `mk-${n++}-${Date.now()}`;
          const before = await ledgerSnapshot(t.app.pool, m.merchantId);
          const outcomes = await Promise.all(batch.map((r) => d.send(r.door, TRANSFER, textOf(r), key)));
          const ids = new Set(outcomes.flatMap((o) => (o.ok ? [o.id] : [])));
          expect(ids.size, JSON.stringify(outcomes.map((o) => o.raw))).toBeLessThanOrEqual(1);
          const winner = await t.app.pool.query(
            'select result from idempotency_keys where merchant_id = $1 and key = $2',
            [m.merchantId, key],
          );
          // Which request won: the one whose answers are successes (or none: only invalid ones came).
          const won = batch.find((_, i) => outcomes[i]!.ok);
          const winning = won ? requestOf(won) : null;
          batch.forEach((r, i) => {
            const o = outcomes[i]!;
            const what = `${r.door} ${textOf(r)} → ${JSON.stringify(o.raw)}`;
            if (r.kind === 'invalid') {
              expectRefused(o, what);
              return;
            }
            if (o.ok) {
              expect(requestOf(r), what).toBe(winning);
              return;
            }
            expectRefused(o, what);
            const allowed =
              requestOf(r) === winning
                ? ['request_in_progress']
                : ['request_in_progress', 'idempotency_key_reused'];
            expect(allowed, what).toContain(o.code);
          });
          const after = await ledgerSnapshot(t.app.pool, m.merchantId);
          expect(after.counts!.tx - before.counts!.tx).toBe(ids.size);
          expect(after.counts!.keys - before.counts!.keys).toBe(winner.rowCount);
          expect(after.total).toBe('0');
          if (!won) return;
          // Settled: the winner replays with its id on every door, the other request is refused.
          for (const door of DOORS) {
            const again = await d.send(door, TRANSFER, textOf(won), key);
            expect(again, `${door} replay`).toMatchObject({ ok: true, id: [...ids][0], replayed: true });
            const loser = winning === 'same' ? OTHER[0]! : SAME[0]!;
            const refused = await d.send(door, TRANSFER, loser, key);
            expect(refused.ok ? 'ok' : refused.code, `${door} reuse`).toBe('idempotency_key_reused');
          }
        }),
        { ...fuzzParams(), numRuns: Number(process.env.MX_RUNS ?? 15) },
      );
      await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
    } finally {
      d.close();
    }
  });
});
