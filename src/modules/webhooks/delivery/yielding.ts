// Webhook delivery yields to the money path (issue 13: "the API's transfer rate with 10 subscribed endpoints
// ≥ 0.8× its rate with none"). Every process with a ledger publishes in Redis when its posting batches are
// slowed by half again over their floor (modules/ledger/pressure.ts). A dispatcher reads that every
// `tickMs` and paces the deliveries it starts: unpaced while no ledger is pressured; under pressure, at half
// the rate it was delivering (or was paced at), never below `minPerSecond`; growing back by a quarter per
// tick once the pressure is gone, and unpaced again when the pace no longer holds it back. A rate, not a
// number in flight: a fast receiver answers in a millisecond or two, so even four deliveries in flight were
// over a thousand a second, and what delivery takes from the ledger (CPU, database work) goes with how many
// it sends per second. So under a burst of transfers deliveries fall behind for the burst and catch up after
// it. Nothing here decides whether a delivery is sent, only when it starts: the per-endpoint caps, the
// fairness between endpoints, leases and at-least-once stay the dispatcher's, and a failing endpoint's
// deliveries are not paced (the dispatcher does not count them: they mostly wait on a receiver).
//
// Redis is not the truth here either: a read that fails or takes longer than a tick counts as no pressure,
// so losing Redis (or its data) means full speed, never a stall.

import type { Logger } from '../../../lib/logger.js';

/** Reads the ledger's pressure: a value while some ledger is pressured, null otherwise. */
export type PressureReader = () => Promise<string | null>;

export const YIELD_TICK_MS = 100;
/** How much faster the pace gets per unpressured tick. */
const GROWTH = 1.25;

export class DeliveryBudget {
  /** Deliveries per second it may start now; Infinity while unpaced. */
  rate = Number.POSITIVE_INFINITY;
  /** Ticks spent under pressure and in all, and deliveries started at its pace, for metrics and tests. */
  readonly stats = { ticks: 0, pressured: 0, spent: 0 };
  private tokens = 0;
  private refilledAt = 0;
  /** Deliveries started since the last tick (what the rate was, for the first halving). */
  private started = 0;
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    readonly minPerSecond: number,
    private readonly read: PressureReader | null,
    private readonly log: Logger,
    private readonly tickMs = YIELD_TICK_MS,
  ) {}

  get paced(): boolean {
    return this.rate !== Number.POSITIVE_INFINITY;
  }

  /** How many deliveries may start now. */
  allowance(now = performance.now()): number {
    if (!this.paced) return Number.POSITIVE_INFINITY;
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** `n` deliveries started. */
  spend(n: number): void {
    this.started += n;
    this.stats.spent += n;
    if (this.paced) this.tokens -= n;
  }

  /** Milliseconds until the next delivery may start (0 when unpaced or one may start now). */
  waitMs(now = performance.now()): number {
    if (!this.paced) return 0;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(now: number): void {
    // At most a tick's worth banked: a paced dispatcher that had nothing to send does not burst after.
    const cap = Math.max(1, (this.rate * this.tickMs) / 1000);
    this.tokens = Math.min(cap, this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
  }

  /** One tick: under pressure halves the pace, else lets it grow (and end). True when it grew or ended. */
  step(pressured: boolean, now = performance.now()): boolean {
    this.stats.ticks++;
    const perSecond = (this.started * 1000) / this.tickMs;
    this.started = 0;
    if (pressured) {
      this.stats.pressured++;
      const from = this.paced ? this.rate : perSecond;
      if (!this.paced) {
        this.tokens = 0;
        this.refilledAt = now;
      } else this.refill(now);
      this.rate = Math.max(this.minPerSecond, from / 2);
      return false;
    }
    if (!this.paced) return false;
    this.refill(now);
    // The pace holds nothing back any more (it sent well under it): unpaced again.
    if (perSecond < this.rate / 2 && this.rate > this.minPerSecond) this.rate = Number.POSITIVE_INFINITY;
    else this.rate *= GROWTH;
    return true;
  }

  /** Reads the pressure every tick and calls `opened` when the pace grows. No reader: never paced. */
  start(opened: () => void): void {
    if (!this.read || this.timer) return;
    this.timer = setInterval(() => void this.tick(opened), this.tickMs);
    this.timer.unref();
  }

  private async tick(opened: () => void): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      if (this.step(await this.pressured())) opened();
    } finally {
      this.reading = false;
    }
  }

  private async pressured(): Promise<boolean> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<null>((resolve) => {
        timeout = setTimeout(() => resolve(null), this.tickMs);
      });
      return (await Promise.race([this.read!(), late])) !== null;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'could not read the ledger pressure; not yielding');
      return false;
    } finally {
      clearTimeout(timeout);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.rate = Number.POSITIVE_INFINITY;
  }
}
