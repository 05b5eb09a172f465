import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import {
  DOORS,
  type Door,
  doors,
  expectRefused,
  ledgerSnapshot,
  type Outcome,
  TRANSFER,
} from '../helpers/mixtures.js';
import { badTransfer, transferText } from '../helpers/mixtures-values.js';

// Good and bad transfers mixed in one concurrent batch, each through any of the three doors (REST, GraphQL
// over HTTP, graphql-ws): every bad one is refused with a code from the one list (never a 5xx or
// internal_error) and leaves no trace, and the good ones move exactly what they say. The balances after a
// batch are the balances before plus the good transfers' amounts, to the minor unit; counts of postings,
// events and idempotency records grow only by what the good ones wrote; the books sum to zero.
const t = useTestApp();
const POOL = ['mx_a', 'mx_b', 'mx_c'];

interface Good {
  kind: 'good';
  from: string;
  to: string;
  amount: number;
  door: Door;
  keyed: boolean;
}
interface Bad {
  kind: 'bad';
  text: string;
  door: Door;
  keyed: boolean;
}

const fields = fc.record({
  from: fc.constantFrom(...POOL),
  to: fc.constantFrom(...POOL),
  cents: fc.integer({ min: 1, max: 5000 }),
});

const good: fc.Arbitrary<Good> = fc
  .record({ f: fields, door: fc.constantFrom(...DOORS), keyed: fc.boolean() })
  .filter(({ f }) => f.from !== f.to)
  .map(({ f, door, keyed }) => ({ kind: 'good', from: f.from, to: f.to, amount: f.cents, door, keyed }));

const bad: fc.Arbitrary<Bad> = fc
  .record({ text: badTransfer(POOL), door: fc.constantFrom(...DOORS), keyed: fc.boolean() })
  .map(({ text, door, keyed }) => ({ kind: 'bad', text, door, keyed }));

const textOf = (g: Good) => transferText(g.from, g.to, g.amount);

describe('mixed good and bad transfers on every door', () => {
  it('refuses every bad one without a trace and moves exactly what the good ones say', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    for (const u of POOL) await t.credit(m, u, '1000000');
    const d = doors(t, m);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof({ weight: 1, arbitrary: good }, { weight: 3, arbitrary: bad }), {
            minLength: 2,
            maxLength: 12,
          }),
          async (batch) => {
            const before = await ledgerSnapshot(t.app.pool, m.merchantId);
            const outcomes: Outcome[] = await Promise.all(
              batch.map((r) =>
                d.send(
                  r.door,
                  TRANSFER,
                  r.kind === 'good' ? textOf(r) : r.text,
                  r.keyed ? `mx-${n++}` : undefined,
                ),
              ),
            );
            const expected = { ...before.balances };
            let goods = 0;
            let keyed = 0;
            batch.forEach((r, i) => {
              const o = outcomes[i]!;
              const what = `${r.door} ${r.kind === 'good' ? textOf(r) : r.text}`;
              if (r.kind === 'bad') {
                expectRefused(o, what);
                return;
              }
              expect(o.ok, `${what} → ${JSON.stringify(o.raw)}`).toBe(true);
              goods++;
              if (r.keyed) keyed++;
              const from = `test:user:${r.from}`;
              const to = `test:user:${r.to}`;
              expected[from] = String(BigInt(expected[from] ?? '0') - BigInt(r.amount));
              expected[to] = String(BigInt(expected[to] ?? '0') + BigInt(r.amount));
            });
            const after = await ledgerSnapshot(t.app.pool, m.merchantId);
            expect(after.balances).toEqual(expected);
            expect(after.total).toBe('0');
            expect(after.counts).toEqual({
              ...before.counts,
              tx: before.counts!.tx + goods,
              entries: before.counts!.entries + 2 * goods,
              events: before.counts!.events + goods,
              keys: before.counts!.keys + keyed,
            });
          },
        ),
        { ...fuzzParams(), numRuns: Number(process.env.MX_RUNS ?? 15) },
      );
      await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
    } finally {
      d.close();
    }
  });
});
