import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  confirmingAfterEach,
  confirmingOf,
  type SeenTransfer,
} from '../../src/modules/deposits/confirming.js';

// What a deposit shows as confirming (docs/deposits.md "What a deposit shows while it confirms"): the sum of its
// transfers not credited yet and the latest of them in chain order, whatever order they are read in; and, in a
// crediting batch, each payment's deposit right after it (the batch's later payments of it still confirming).

const transfers = fc
  .uniqueArray(
    fc.record({
      id: fc.integer({ min: 1, max: 10_000 }),
      deposit_id: fc.constantFrom('dep_a', 'dep_b', 'dep_c'),
      block_number: fc.integer({ min: 0, max: 20 }),
      log_index: fc.integer({ min: 0, max: 3 }),
      amount_minor: fc.bigInt({ min: 1n, max: 10n ** 24n }).map(String),
    }),
    { selector: (t) => t.id, maxLength: 30 },
  )
  .map((ts) => ts.map((t): SeenTransfer => ({ ...t, tx_hash: `tx${t.id}` })));

/** The model: the sum, and the transfer no other one follows in (block, log index, id). */
function model(ts: SeenTransfer[]) {
  const key = (t: SeenTransfer) => [Number(t.block_number), t.log_index, Number(t.id)];
  const latest = [...ts]
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    })
    .at(-1);
  return {
    amount: ts.reduce((s, t) => s + BigInt(t.amount_minor), 0n).toString(),
    txHash: latest?.tx_hash ?? null,
  };
}

describe('the confirming fields', () => {
  it('are the sum and the latest in chain order, in any reading order; "0" and null when nothing is seen', () => {
    expect(confirmingOf([])).toEqual({ amount: '0', txHash: null });
    fc.assert(
      fc.property(transfers, fc.infiniteStream(fc.nat()), (ts, swaps) => {
        const shuffled = [...ts];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = swaps.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(confirmingOf(shuffled)).toEqual(model(ts));
      }),
    );
  });

  it('after each payment of a crediting batch: what is left seen plus the batch payments not credited yet', () => {
    fc.assert(
      fc.property(transfers, fc.array(fc.boolean(), { maxLength: 30 }), (ts, inBatch) => {
        // Chain order within a deposit, as the scanner hands them over; deposits interleaved.
        const ordered = [...ts].sort(
          (a, b) => Number(a.block_number) - Number(b.block_number) || a.log_index - b.log_index,
        );
        const batch = ordered.filter((_, i) => inBatch[i]);
        const left = ordered.filter((_, i) => !inBatch[i]);
        const after = confirmingAfterEach(left, batch);
        expect(after).toHaveLength(batch.length);
        batch.forEach((t, i) => {
          const credited = new Set(batch.slice(0, i + 1).map((x) => x.id));
          const stillSeen = ordered.filter((x) => x.deposit_id === t.deposit_id && !credited.has(x.id));
          expect(after[i]).toEqual(model(stillSeen));
        });
        // Once the whole batch is credited, each deposit shows exactly what is left.
        for (const d of new Set(batch.map((t) => t.deposit_id))) {
          const last = batch.map((t) => t.deposit_id).lastIndexOf(d);
          expect(after[last]).toEqual(model(left.filter((x) => x.deposit_id === d)));
        }
      }),
    );
  });
});
