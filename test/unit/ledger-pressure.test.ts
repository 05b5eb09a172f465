import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { LedgerPressure, PRESSURE_RULE } from '../../src/modules/ledger/pressure.js';
import { EndpointQueues } from '../../src/modules/webhooks/delivery/endpoint-queues.js';
import type { Claimed } from '../../src/modules/webhooks/delivery/store.js';
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
          const p = new LedgerPressure(2);
          for (const n of counts) expect(window(p, n, ms)).toBeNull();
        },
      ),
    );
  });

  it('is pressured when a busy ledger’s batches take half again their floor and a millisecond more', () => {
    const p = new LedgerPressure(2);
    expect(window(p, 25, 4)).toBeNull(); // the floor: 4 ms, half of two slots' 100 ms taken
    expect(window(p, 25, 5)).toBeNull(); // 1.25×: not yet
    expect(window(p, 25, 6.5)).toBeCloseTo(6.5 / (4 * 2 ** (2 * (100 / 60_000))), 6);
    expect(window(p, PRESSURE_RULE.minBatches - 1, 40)).toBeNull(); // a few slow batches are not a busy ledger
    expect(window(p, 25, 4)).toBeNull(); // back to its floor
  });

  it('is not pressured while its batch slots are mostly free, however slow the batches', () => {
    const p = new LedgerPressure(2);
    expect(window(p, 25, 4)).toBeNull();
    expect(window(p, 8, 12)).toBeNull(); // 3× the floor, but 96 of 200 slot-milliseconds
    expect(window(p, 9, 12)).not.toBeNull(); // 108 of 200: busy
    expect(new LedgerPressure(4).close()).toBeNull();
    const four = new LedgerPressure(4);
    window(four, 50, 4);
    expect(window(four, 16, 12)).toBeNull(); // 192 of 400
    expect(window(four, 17, 12)).not.toBeNull();
  });

  it('ignores slowdowns of less than a millisecond, however large in ratio', () => {
    const p = new LedgerPressure(2);
    expect(window(p, 250, 0.4)).toBeNull();
    expect(window(p, 250, 1.2)).toBeNull(); // 3× but 0.8 ms more
    expect(window(p, 250, 1.5)).not.toBeNull();
  });

  it('forgets a floor from a quieter past: the floor doubles in a minute without lower windows', () => {
    const p = new LedgerPressure(2);
    window(p, 25, 4);
    let pressuredWindows = 0;
    for (let i = 0; i < 1200; i++) if (window(p, 10, 12) !== null) pressuredWindows++; // two minutes at 12 ms
    expect(pressuredWindows).toBeGreaterThan(0);
    expect(window(p, 10, 12)).toBeNull(); // 12 ms is the new normal by now
    expect(p.floorMs).toBeCloseTo(12, 0);
  });

  it('takes no notice of impossible durations', () => {
    const p = new LedgerPressure(2);
    window(p, 25, 4);
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) for (let i = 0; i < 10; i++) p.observe(bad);
    expect(p.close()).toBeNull();
    expect(p.floorMs).toBeGreaterThan(3.9);
  });
});

describe('DeliveryBudget', () => {
  it('is unpaced or at least the minimum under any ticks, halving under pressure', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2000 })), { maxLength: 200 }),
        (min, ticks) => {
          const b = new DeliveryBudget(min, null, log);
          let now = 0;
          for (const [pressured, started] of ticks) {
            const before = b.rate;
            b.spend(started);
            now += 100;
            b.step(pressured, now);
            expect(b.rate === Number.POSITIVE_INFINITY || b.rate >= min).toBe(true);
            if (pressured) {
              const from = before === Number.POSITIVE_INFINITY ? started * 10 : before;
              expect(b.rate).toBe(Math.max(min, from / 2));
            } else if (before === Number.POSITIVE_INFINITY) expect(b.paced).toBe(false);
          }
        },
      ),
    );
  });

  it('starts no more than its pace allows, give or take one tick’s worth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 50 }), (min, ticks) => {
        const b = new DeliveryBudget(min, null, log);
        b.step(true, 0); // nothing was being sent: paced at the minimum from now
        let started = 0;
        for (let t = 1; t <= ticks * 100; t++) {
          const n = b.allowance(t);
          b.spend(n);
          started += n;
        }
        const seconds = ticks / 10;
        expect(started).toBeLessThanOrEqual(Math.ceil(min * seconds) + 1);
        expect(started).toBeGreaterThanOrEqual(Math.floor(min * seconds) - Math.max(1, min / 10) - 1);
      }),
    );
  });

  it('is unpaced again soon after the pressure lapses, once the pace holds nothing back', () => {
    const b = new DeliveryBudget(100, null, log);
    let now = 0;
    const tick = (pressured: boolean) => {
      now += 100;
      b.step(pressured, now);
    };
    b.spend(500); // 5,000/s before the pressure
    tick(true);
    expect(b.rate).toBe(2500);
    for (let i = 0; i < 10; i++) tick(true);
    expect(b.rate).toBe(100);
    let ticks = 0;
    while (b.paced && ticks < 100) {
      b.spend(Math.min(b.allowance(now), 300)); // what the worker can send: 3,000/s
      tick(false);
      ticks++;
    }
    expect(b.paced).toBe(false);
    expect(ticks).toBeLessThanOrEqual(25);
  });

  it('counts a failed or slow read as no pressure (Redis is not the truth)', async () => {
    let calls = 0;
    const reads = [
      () => Promise.reject(new Error('Connection is closed.')),
      () => new Promise<string | null>(() => undefined), // never answers
      () => Promise.resolve('2.00'),
    ];
    const b = new DeliveryBudget(50, () => reads[Math.min(calls++, reads.length - 1)]!(), log, 20);
    let opened = 0;
    b.start(() => opened++);
    await expect.poll(() => b.stats.pressured, { timeout: 5000, interval: 10 }).toBeGreaterThan(0);
    b.stop();
    expect(b.stats.ticks - b.stats.pressured).toBeGreaterThanOrEqual(2);
    expect(b.paced).toBe(false); // stopped: unpaced
  });
});

describe('EndpointQueues.take', () => {
  const claimed = (endpointId: string, i: number, failing = false) =>
    ({
      eventId: `evt_${i}`,
      endpointId,
      attempts: 0,
      eventType: 'transfer.completed',
      payload: '{}',
      eventCreatedAt: new Date(0),
      endpoint: { failing_since: failing ? new Date(0) : null },
    }) as unknown as Claimed;

  it('gives each endpoint its turn when slots are short, and never paces a failing endpoint', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (endpoints, total, budget) => {
          const q = new EndpointQueues(4, 32);
          endpoints.forEach(([n, failing], e) => {
            for (let i = 0; i < n; i++) q.push(claimed(`ep${e}`, i, failing));
          });
          const taken = q.take({ total, budget });
          const budgeted = taken.filter((t) => t.budgeted);
          expect(taken.length).toBeLessThanOrEqual(total);
          expect(budgeted.length).toBeLessThanOrEqual(budget);
          for (const t of taken) expect(t.budgeted).toBe(!t.s.failing);
          // Fair: two healthy endpoints with deliveries left never differ by more than one started.
          const startedBy = new Map<string, number>();
          for (const t of budgeted) startedBy.set(t.d.endpointId, (startedBy.get(t.d.endpointId) ?? 0) + 1);
          const waiting = [...q.byId].filter(([, s]) => !s.failing && s.queue.length > 0 && s.active < 4);
          for (const [id] of waiting)
            for (const n of startedBy.values()) expect(n - (startedBy.get(id) ?? 0)).toBeLessThanOrEqual(1);
          // A failing endpoint gets its one slot whatever the budget, if any slot is left at all.
          const failingWaiting = [...q.byId.values()].filter((s) => s.failing && s.queue.length > 0);
          if (taken.length < total) for (const s of failingWaiting) expect(s.active).toBe(1);
        },
      ),
    );
  });
});
