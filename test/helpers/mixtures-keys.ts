import fc from 'fast-check';
import { expect } from 'vitest';
import type { TestContext, TestMerchant } from './app.js';
import { fuzzParams } from './fuzz.js';
import { DOORS, type Door, doors, expectRefused, ledgerSnapshot, type Op } from './mixtures.js';

// The property of test/integration/mixtures-keys*.test.ts: one idempotency key sent at once through the
// three doors with the same request (written differently), other requests, and input that fails validation.
// At most one effect; the same request gets the first answer (one id) or request_in_progress; another
// request gets idempotency_key_reused or request_in_progress; invalid input is refused and not stored;
// once settled, a retry of the winner replays it on every door and the other request is refused.

export interface KeyTexts {
  /** Texts of one request (the same normalised input). */
  same: string[];
  /** Texts of other requests, each its own; each must succeed when it wins the key. */
  other: string[];
  /** Texts every door refuses before the key is looked at. */
  invalid: string[];
}

type Kind = keyof KeyTexts;
interface Sent {
  kind: Kind;
  variant: number;
  door: Door;
}

export async function oneKeyOnEveryDoor(
  t: TestContext,
  m: TestMerchant,
  op: Op,
  texts: KeyTexts,
  numRuns: number,
): Promise<void> {
  const request = fc.record({
    kind: fc.constantFrom<Kind>('same', 'same', 'other', 'invalid'),
    variant: fc.nat(3),
    door: fc.constantFrom<Door>(...DOORS),
  });
  const textOf = (r: Omit<Sent, 'door'>) => texts[r.kind][r.variant % texts[r.kind].length]!;
  const requestOf = (r: Omit<Sent, 'door'>) =>
    r.kind === 'same' ? 'same' : `${r.kind}${r.variant % texts[r.kind].length}`;
  const d = doors(t, m);
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 2, maxLength: 10 }), async (batch) => {
        const key = `mk-${op.field}-${n++}-${Date.now()}`;
        const before = await ledgerSnapshot(t.app.pool, m.merchantId);
        const outcomes = await Promise.all(batch.map((r) => d.send(r.door, op, textOf(r), key)));
        const ids = new Set(outcomes.flatMap((o) => (o.ok ? [o.id] : [])));
        expect(ids.size, JSON.stringify(outcomes.map((o) => o.raw))).toBeLessThanOrEqual(1);
        // Which request won: the one whose answers are successes (or none: only invalid ones came).
        const won = batch.find((_, i) => outcomes[i]!.ok);
        const winning = won ? requestOf(won) : null;
        batch.forEach((r, i) => {
          const o = outcomes[i]!;
          const what = `${r.door} ${textOf(r)} → ${JSON.stringify(o.raw)}`;
          if (r.kind === 'invalid' || !o.ok) expectRefused(o, what);
          if (r.kind === 'invalid') return;
          if (o.ok) expect(requestOf(r), what).toBe(winning);
          else
            expect(
              requestOf(r) === winning
                ? ['request_in_progress']
                : ['request_in_progress', 'idempotency_key_reused'],
              what,
            ).toContain(o.code);
        });
        const after = await ledgerSnapshot(t.app.pool, m.merchantId);
        expect(after.counts![op.effect] - before.counts![op.effect]).toBe(ids.size);
        expect(after.counts!.keys - before.counts!.keys).toBe(won ? 1 : 0);
        expect(after.total).toBe('0');
        if (!won) return;
        for (const door of DOORS) {
          const again = await d.send(door, op, textOf(won), key);
          expect(again, `${door} replay`).toMatchObject({ ok: true, id: [...ids][0], replayed: true });
          const loser = winning === 'same' ? texts.other[0]! : texts.same[0]!;
          const refused = await d.send(door, op, loser, key);
          expect(refused.ok ? 'ok' : refused.code, `${door} reuse`).toBe('idempotency_key_reused');
        }
      }),
      { ...fuzzParams(), numRuns },
    );
  } finally {
    d.close();
  }
}
