// Ledger pressure (issue 13: "the API's transfer rate with webhooks flowing ≥ 0.8× its rate with none").
// Background work that shares the database and the machine with the money path (webhook delivery, above
// all: ten endpoints turn one transfer into ten signed POSTs and their bookkeeping) should take what the
// ledger leaves, not slow it. The ledger is the one that can tell: a posting batch that takes longer than
// it did when the ledger had the machine to itself means something else is using what it needs.
//
// Every `windowMs` the mean duration of the batches that finished in the window is compared with the
// ledger's floor, the lowest such mean seen, which drifts up slowly (doubling in `floorDoublingMs`) so a
// floor from a quieter past is forgotten. The ledger is under pressure when it is both busy and slowed:
// busy, its batches took at least `minBusy` of its batch slots' time in the window (LEDGER_MAX_IN_FLIGHT
// slots: below that, requests find a slot free and slower batches only cost them a few milliseconds, not
// throughput), from at least `minBatches` batches; and slowed, their mean is `ratio` times the floor and
// `minExtraMs` above it (half again, not a few tenths of a millisecond). Each API process
// publishes its pressure in Redis (publishLedgerPressure); webhook delivery halves its concurrency while any
// process reports it (delivery/yielding.ts). Losing the key (Redis restarted, a process gone) only means
// delivery runs at its full concurrency again.

import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';

export interface PressureRule {
  windowMs: number;
  minBatches: number;
  /** The share of the batch slots' time the window's batches must take for the ledger to count as busy. */
  minBusy: number;
  ratio: number;
  minExtraMs: number;
  floorDoublingMs: number;
}

export const PRESSURE_RULE: PressureRule = {
  windowMs: 100,
  minBatches: 5,
  minBusy: 0.5,
  ratio: 1.5,
  minExtraMs: 1,
  floorDoublingMs: 60_000,
};

/** The Redis key webhook delivery reads; its value is the slowdown (window mean ÷ floor). */
export const pressureKey = (prefix: string) => `${prefix}:ledger:pressure`;

export class LedgerPressure {
  private sum = 0;
  private count = 0;
  private floor: number | null = null;
  private readonly drift: number;

  constructor(
    /** The ledger's batch slots (LEDGER_MAX_IN_FLIGHT). */
    private readonly slots: number,
    private readonly rule: PressureRule = PRESSURE_RULE,
  ) {
    this.drift = 2 ** (rule.windowMs / rule.floorDoublingMs);
  }

  /** One finished posting batch and how long it took. */
  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.sum += ms;
    this.count++;
  }

  /** The last window's answer (close()). */
  lastSlowdown: number | null = null;

  /** Closes the window: the slowdown against the floor when the ledger is under pressure, else null. */
  close(): number | null {
    this.lastSlowdown = this.judge();
    return this.lastSlowdown;
  }

  private judge(): number | null {
    const { sum, count } = this;
    this.sum = 0;
    this.count = 0;
    if (this.floor !== null) this.floor *= this.drift;
    if (count < this.rule.minBatches) return null;
    const mean = sum / count;
    if (this.floor === null || mean < this.floor) this.floor = mean;
    const floor = this.floor;
    if (sum < this.rule.minBusy * this.slots * this.rule.windowMs) return null;
    if (mean < floor * this.rule.ratio || mean - floor < this.rule.minExtraMs) return null;
    return mean / floor;
  }

  /** The current floor in milliseconds (null before the first full window), for metrics and tests. */
  get floorMs(): number | null {
    return this.floor;
  }
}

/**
 * Publishes this process's ledger pressure every window: while pressured, the key is set with a life of
 * three windows, so it lapses by itself when the pressure (or the process) goes away. Best effort: a Redis
 * error is logged at debug and the next window tries again.
 */
export function publishLedgerPressure(
  slots: number,
  watch: (fn: (ms: number) => void) => void,
  redis: Pick<Redis, 'set'>,
  prefix: string,
  log: Logger,
  rule: PressureRule = PRESSURE_RULE,
): { stop(): void; pressure: LedgerPressure } {
  const pressure = new LedgerPressure(slots, rule);
  watch((ms) => pressure.observe(ms));
  const key = pressureKey(prefix);
  const timer = setInterval(() => {
    const slowdown = pressure.close();
    if (slowdown === null) return;
    redis
      .set(key, slowdown.toFixed(2), 'PX', rule.windowMs * 3)
      .catch((err: Error) => log.debug({ err: err.message }, 'could not publish the ledger pressure'));
  }, rule.windowMs);
  timer.unref();
  return { stop: () => clearInterval(timer), pressure };
}
