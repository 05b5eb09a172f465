// The back-off of a failing endpoint (issue 13: "no endpoint slowing another"), a circuit breaker. While an
// endpoint fails, its dispatcher sends it one delivery at a time (endpoint-queues.ts, its cap) and only every
// so often: its oldest due delivery is a probe, sent `firstMs` after the failure, then after twice as long
// following each further failed probe, up to `maxMs`. The rest of its deliveries stay pending, unsent. A
// success ends it: the endpoint's backlog flows again at its cap. The state lives in the dispatcher that owns
// the endpoint (ownership.ts: one at a time); a worker that takes an endpoint over (a crash, a rebalance)
// has none, so it sends one delivery at once, and a failure there starts the back-off at `firstMs`.

interface Probe {
  /** The wait after the last failure. */
  intervalMs: number;
  /** When the next probe may start (ms since the epoch). */
  nextAt: number;
}

export class ProbeBackoff {
  private readonly byId = new Map<string, Probe>();
  /** When the pending wake-up fires (none: Infinity). */
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(
    /** The first wait; 0 turns the back-off off. */
    private readonly firstMs: number,
    private readonly maxMs: number,
    /** Sets a timer (the dispatcher's Wakeups: cleared when it stops). */
    private readonly timers: { after(ms: number, fn: () => void): void },
  ) {}

  /** Endpoints backing off (tests). */
  get size(): number {
    return this.byId.size;
  }

  /** A delivery started now to this endpoint is a probe: the endpoint is backing off. */
  probing(endpointId: string): boolean {
    return this.byId.has(endpointId);
  }

  /** The endpoint waits for its next probe time: nothing may be sent to it now. */
  resting(endpointId: string, now: number): boolean {
    const p = this.byId.get(endpointId);
    return p !== undefined && p.nextAt > now;
  }

  /**
   * An attempt to the endpoint failed. A failed probe doubles the wait; the endpoint's first failure, or the
   * failure of a delivery that was already in flight when it started failing, waits `firstMs` or what the
   * back-off already says, whichever is longer.
   */
  failed(endpointId: string, probe: boolean, now: number): void {
    if (this.firstMs <= 0) return;
    const p = this.byId.get(endpointId);
    if (!p) this.byId.set(endpointId, { intervalMs: this.firstMs, nextAt: now + this.firstMs });
    else if (probe) {
      p.intervalMs = Math.min(p.intervalMs * 2, this.maxMs);
      p.nextAt = now + p.intervalMs;
    } else p.nextAt = Math.max(p.nextAt, now + p.intervalMs);
  }

  /** The endpoint answered (or was closed): it is sent to at its cap again. */
  forget(endpointId: string): void {
    this.byId.delete(endpointId);
  }

  /**
   * Calls `wake` when the first endpoint with deliveries waiting (`waiting`) may be probed again: one timer,
   * for the earliest such time.
   */
  schedule(waiting: (endpointId: string) => boolean, now: number, wake: () => void): void {
    let at = Number.POSITIVE_INFINITY;
    for (const [id, p] of this.byId) if (p.nextAt > now && p.nextAt < at && waiting(id)) at = p.nextAt;
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    this.timers.after(at - now, () => {
      if (this.wakeAt === at) this.wakeAt = Number.POSITIVE_INFINITY;
      wake();
    });
  }

  /**
   * Forgets endpoints this dispatcher no longer has deliveries of (`known` false) whose probe time is long
   * past: an idle endpoint, or one another worker dispatches now. Its next delivery here is sent at once.
   */
  prune(known: (endpointId: string) => boolean, now: number): void {
    for (const [id, p] of this.byId) if (p.nextAt + this.maxMs < now && !known(id)) this.byId.delete(id);
  }
}
