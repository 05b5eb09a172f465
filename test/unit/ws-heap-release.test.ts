import { constants, PerformanceObserver } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeapRelease } from '../../src/http/ws-heap-release.js';

// The rule that starts one major GC after a wave of closed WebSockets (src/http/ws-heap-release.ts), on
// vitest's fake clock; the last test runs the real collection.

const QUIET = 2_000;

describe('releasing memory after a wave of closed sockets', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(minCloses: number) {
    const releases: number[] = [];
    let collections = 0;
    const heap = new HeapRelease({
      minCloses,
      quietMs: QUIET,
      collect: async () => {
        collections++;
      },
      onRelease: (closes) => releases.push(closes),
    });
    return { heap, releases, collections: () => collections };
  }

  it('runs once, after the wave, when enough sockets closed and half the peak is gone', () => {
    const { heap, releases, collections } = make(100);
    for (let i = 0; i < 1_000; i++) heap.opened();
    for (let i = 0; i < 600; i++) {
      heap.closed();
      vi.advanceTimersByTime(10); // closes keep coming: the release waits for the wave to end
    }
    expect(collections()).toBe(0);
    vi.advanceTimersByTime(QUIET);
    expect(releases).toEqual([600]);
    expect(collections()).toBe(1);
    // The rest closing later is a new wave, judged against what was open after the first (400).
    for (let i = 0; i < 400; i++) heap.closed();
    vi.advanceTimersByTime(QUIET);
    expect(releases).toEqual([600, 400]);
  });

  it("follows a wave's release once more when the sockets it left open close later", () => {
    // The fanout bench at 10,000: 9,500 sockets close at once, the 500 slow readers are cut off 10 s later.
    const { heap, releases } = make(1_000);
    for (let i = 0; i < 10_000; i++) heap.opened();
    for (let i = 0; i < 9_500; i++) heap.closed();
    vi.advanceTimersByTime(QUIET);
    expect(releases).toEqual([9_500]);
    vi.advanceTimersByTime(10_000);
    for (let i = 0; i < 249; i++) heap.closed();
    vi.advanceTimersByTime(QUIET);
    expect(releases).toEqual([9_500]); // fewer than half of the tail
    heap.closed();
    vi.advanceTimersByTime(QUIET);
    expect(releases).toEqual([9_500, 250]);
    // The follow-up has none of its own: the rest of the tail waits for minCloses.
    for (let i = 0; i < 250; i++) heap.closed();
    vi.advanceTimersByTime(10 * QUIET);
    expect(releases).toEqual([9_500, 250]);

    // A tail under a tenth of minCloses is not worth a collection of its own.
    const small = make(1_000);
    for (let i = 0; i < 10_000; i++) small.heap.opened();
    for (let i = 0; i < 9_950; i++) small.heap.closed();
    vi.advanceTimersByTime(QUIET);
    for (let i = 0; i < 50; i++) small.heap.closed();
    vi.advanceTimersByTime(10 * QUIET);
    expect(small.releases).toEqual([9_950]);
  });

  it('runs a second pass a second after the first has finished, and stop() cancels it', async () => {
    const { heap, collections } = make(10);
    for (let i = 0; i < 20; i++) heap.opened();
    for (let i = 0; i < 20; i++) heap.closed();
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(collections()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(collections()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(collections()).toBe(2);
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(collections()).toBe(2);

    const stopped = make(10);
    for (let i = 0; i < 20; i++) stopped.heap.opened();
    for (let i = 0; i < 20; i++) stopped.heap.closed();
    await vi.advanceTimersByTimeAsync(QUIET);
    stopped.heap.stop();
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(stopped.collections()).toBe(1);
  });

  it('does nothing for a few closes, for churn at a steady count, or when turned off', () => {
    const few = make(1_000);
    for (let i = 0; i < 5_000; i++) few.heap.opened();
    for (let i = 0; i < 999; i++) few.heap.closed();
    vi.advanceTimersByTime(10 * QUIET);
    expect(few.collections()).toBe(0);

    // 10,000 closes, each replaced by a new socket: never half the peak gone.
    const churn = make(1_000);
    for (let i = 0; i < 2_000; i++) churn.heap.opened();
    for (let i = 0; i < 10_000; i++) {
      churn.heap.closed();
      churn.heap.opened();
    }
    vi.advanceTimersByTime(10 * QUIET);
    expect(churn.collections()).toBe(0);

    const off = make(0);
    for (let i = 0; i < 5_000; i++) off.heap.opened();
    for (let i = 0; i < 5_000; i++) off.heap.closed();
    vi.advanceTimersByTime(10 * QUIET);
    expect(off.collections()).toBe(0);
  });

  it('skips a release whose wave was refilled before it ran, and stop() cancels a pending one', () => {
    const refilled = make(100);
    for (let i = 0; i < 1_000; i++) refilled.heap.opened();
    for (let i = 0; i < 600; i++) refilled.heap.closed();
    for (let i = 0; i < 600; i++) refilled.heap.opened(); // viewers came back within the quiet time
    vi.advanceTimersByTime(QUIET);
    expect(refilled.collections()).toBe(0);

    const stopped = make(100);
    for (let i = 0; i < 1_000; i++) stopped.heap.opened();
    for (let i = 0; i < 1_000; i++) stopped.heap.closed();
    stopped.heap.stop();
    vi.advanceTimersByTime(QUIET);
    expect(stopped.collections()).toBe(0);
  });

  it('never collects while closes are less than quietMs apart, and each release follows the rule', () => {
    // Any sequence of opens, closes and pauses: a collection happens only after a pause of at least quietMs
    // following a close, only with minCloses closed since the last one (or, once after a wave's, half of
    // the sockets that wave left open, if they were at least a tenth of minCloses), and only with at most
    // half the peak since the last one still open.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('open' as const), n: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('close' as const), n: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2 * QUIET }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.array(step, { maxLength: 40 }), (minCloses, steps) => {
        vi.clearAllTimers();
        const { heap, releases } = make(minCloses);
        let open = 0;
        let peak = 0;
        let closes = 0;
        let tail = 0;
        let sinceClose = Number.POSITIVE_INFINITY;
        for (const s of steps) {
          if (s.kind === 'open') {
            for (let i = 0; i < s.n; i++) heap.opened();
            open += s.n;
            peak = Math.max(peak, open);
          } else if (s.kind === 'close') {
            const n = Math.min(s.n, open);
            for (let i = 0; i < n; i++) heap.closed();
            open -= n;
            closes += n;
            if (n > 0) sinceClose = 0;
          } else {
            const before = releases.length;
            vi.advanceTimersByTime(s.ms);
            const due =
              minCloses > 0 && open * 2 <= peak && (closes >= minCloses || (tail > 0 && closes * 2 >= tail));
            const expectRelease = due && sinceClose < QUIET && sinceClose + s.ms >= QUIET;
            expect(releases.length - before).toBe(expectRelease ? 1 : 0);
            if (expectRelease) {
              expect(releases.at(-1)).toBe(closes);
              tail = closes >= minCloses && open * 10 >= minCloses ? open : 0;
              closes = 0;
              peak = open;
            }
            sinceClose += s.ms;
          }
        }
        heap.stop();
      }),
      { numRuns: 300 },
    );
  });
});

describe('the real collection', () => {
  it('starts a major GC, without printing a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (
          (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
          constants.NODE_PERFORMANCE_GC_MAJOR
        )
          majors.push(e.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      let released = 0;
      const heap = new HeapRelease({ minCloses: 1, quietMs: 0, onRelease: () => released++ });
      heap.opened();
      const from = performance.now();
      heap.closed();
      await until(() => released === 1 && majors.some((t) => t >= from));
      expect(warnings.filter((w) => /measureMemory/.test(w))).toEqual([]);
    } finally {
      observer.disconnect();
      process.off('warning', onWarning);
    }
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
}
