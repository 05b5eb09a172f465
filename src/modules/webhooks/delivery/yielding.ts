// Webhook delivery yields to the money path (issue 13: "the API's transfer rate with 10 subscribed endpoints
// ≥ 0.8× its rate with none"). Every process with a ledger publishes in Redis when its posting batches are
// slowed by half again over their floor (modules/ledger/pressure.ts). A dispatcher reads that every
// `tickMs` and sets how many deliveries it may have in flight: halved while some ledger is under pressure
// (never below `min`), grown back by a sixteenth of `max` per tick otherwise (additive increase,
// multiplicative decrease, as TCP shares a link). So deliveries take what the ledger leaves: under a burst of
// transfers they fall behind for the burst and catch up after it, and with the ledger idle or unpressured
// they run at the full WEBHOOK_CONCURRENCY. Nothing here decides whether a delivery is sent, only how many
// at once: the per-endpoint caps and the fairness between endpoints stay the dispatcher's.
//
// Redis is not the truth here either: a read that fails or takes longer than a tick counts as no pressure,
// so losing Redis (or its data) means full speed, never a stall.

import type { Logger } from '../../../lib/logger.js';

/** Reads the ledger's pressure: a value while some ledger is pressured, null otherwise. */
export type PressureReader = () => Promise<string | null>;

export const YIELD_TICK_MS = 100;

export class DeliveryBudget {
  /** Deliveries the dispatcher may have in flight right now. */
  limit: number;
  /** Ticks spent under pressure and in all, for metrics and tests. */
  readonly stats = { ticks: 0, pressured: 0 };
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    readonly max: number,
    readonly min: number,
    private readonly read: PressureReader | null,
    private readonly log: Logger,
    private readonly tickMs = YIELD_TICK_MS,
  ) {
    this.min = Math.max(1, Math.min(min, max));
    this.limit = max;
  }

  /** One tick: halves the limit under pressure, else grows it. True when it grew (slots opened). */
  step(pressured: boolean): boolean {
    this.stats.ticks++;
    if (pressured) {
      this.stats.pressured++;
      this.limit = Math.max(this.min, Math.floor(this.limit / 2));
      return false;
    }
    const before = this.limit;
    this.limit = Math.min(this.max, this.limit + Math.ceil(this.max / 16));
    return this.limit > before;
  }

  /** Reads the pressure every tick and calls `opened` when slots open. No reader: the limit stays at max. */
  start(opened: () => void): void {
    if (!this.read || this.min >= this.max || this.timer) return;
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
    this.limit = this.max;
  }
}
