import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { LedgerPressure, PRESSURE_RULE } from '../../src/modules/ledger/pressure.js';
import { DeliveryBudget } from '../../src/modules/webhooks/delivery/yielding.js';

// The rule by which webhook delivery yields to the money path (issue 13): the ledger says when its batches
// are slowed (modules/ledger/pressure.ts), delivery halves what it has in flight while they are and grows
// back when they are not (webhooks/delivery/yielding.ts).

const log = createLogger('silent');

/** Feeds one window of `n` batches of `ms` each and closes it. */
function window(p: LedgerPressure, n: number, ms: number): number | null {
  for (let i = 0; i < n; i++) p.observe(ms);
  return p.close();
}

describe('LedgerPressure', () => {
  it('is never pressured by a steady ledger, whatever its speed and load', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 500, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (ms, counts) => {
          const p = new LedgerPressure();
          for (const n of counts) expect(window(p, n, ms)).toBeNull();
        },
      ),
    );
  });

  it('is pressured when a busy ledger’s batches take half again their floor and a millisecond more', () => {
    const p = new LedgerPressure();
    expect(window(p, 10, 4)).toBeNull(); // the floor: 4 ms
    expect(window(p, 10, 5)).toBeNull(); // 1.25×: not yet
    expect(window(p, 10, 6.5)).toBeCloseTo(6.5 / (4 * 2 ** (2 * (100 / 60_000))), 6);
    expect(window(p, PRESSURE_RULE.minBatches - 1, 40)).toBeNull(); // a few slow batches are not a busy ledger
    expect(window(p, 10, 4)).toBeNull(); // back to its floor
  });

  it('ignores slowdowns of less than a millisecond, however large in ratio', () => {
    const p = new LedgerPressure();
    expect(window(p, 10, 0.4)).toBeNull();
    expect(window(p, 10, 1.2)).toBeNull(); // 3× but 0.8 ms more
    expect(window(p, 10, 1.5)).not.toBeNull();
  });

  it('forgets a floor from a quieter past: the floor doubles in a minute without lower windows', () => {
    const p = new LedgerPressure();
    window(p, 10, 4);
    let pressuredWindows = 0;
    for (let i = 0; i < 1200; i++) if (window(p, 10, 12) !== null) pressuredWindows++; // two minutes at 12 ms
    expect(pressuredWindows).toBeGreaterThan(0);
    expect(window(p, 10, 12)).toBeNull(); // 12 ms is the new normal by now
    expect(p.floorMs).toBeCloseTo(12, 0);
  });

  it('takes no notice of impossible durations', () => {
    const p = new LedgerPressure();
    window(p, 10, 4);
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) for (let i = 0; i < 10; i++) p.observe(bad);
    expect(p.close()).toBeNull();
    expect(p.floorMs).toBeGreaterThan(3.9);
  });
});

describe('DeliveryBudget', () => {
  it('stays within [min, max] under any sequence of ticks, halving under pressure and growing otherwise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        (max, min, ticks) => {
          const b = new DeliveryBudget(max, min, null, log);
          const floor = Math.min(min, max);
          for (const pressured of ticks) {
            const before = b.limit;
            const grew = b.step(pressured);
            expect(b.limit).toBeGreaterThanOrEqual(floor);
            expect(b.limit).toBeLessThanOrEqual(max);
            if (pressured) expect(b.limit).toBe(Math.max(floor, Math.floor(before / 2)));
            else expect(grew).toBe(before < max);
          }
        },
      ),
    );
  });

  it('is back at full concurrency within 16 quiet ticks (1.6 s) of the deepest yield', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (max, min) => {
        const b = new DeliveryBudget(max, min, null, log);
        for (let i = 0; i < 20; i++) b.step(true);
        for (let i = 0; i < 16; i++) b.step(false);
        expect(b.limit).toBe(max);
      }),
    );
  });

  it('counts a failed or slow read as no pressure (Redis is not the truth)', async () => {
    let calls = 0;
    const reads = [
      () => Promise.reject(new Error('Connection is closed.')),
      () => new Promise<string | null>(() => undefined), // never answers
      () => Promise.resolve('2.00'),
    ];
    const b = new DeliveryBudget(32, 4, () => reads[Math.min(calls++, reads.length - 1)]!(), log, 20);
    let opened = 0;
    b.start(() => opened++);
    await expect.poll(() => b.stats.pressured, { timeout: 5000, interval: 10 }).toBeGreaterThan(0);
    b.stop();
    expect(b.stats.ticks - b.stats.pressured).toBeGreaterThanOrEqual(2);
    expect(b.limit).toBe(32); // stopped: back to the full concurrency
  });
});
