// Per-step timing of code under test by wrapping methods of its instances (nothing in src/ changes). Calls of
// one name that overlap (100 concurrent eth_getBlockByNumber of one range, say) count their wall time once:
// `ms` is the time during which at least one call of that name was running, so it adds up against a clock.

type AsyncFn = (...args: any[]) => Promise<unknown>;

interface Total {
  calls: number;
  ms: number;
  running: number;
  since: number;
}

export class MethodTimers {
  /** Timing happens only while active; the wrappers stay in place and cost one branch otherwise. */
  active = false;
  private readonly totals = new Map<string, Total>();

  /** Replaces obj[method] (an own property shadowing the prototype's) with a timed call of the original. */
  wrap(obj: any, method: string, name: string | ((args: any[]) => string)): void {
    const orig = obj?.[method] as AsyncFn | undefined;
    if (typeof orig !== 'function') throw new Error(`cannot time ${method}: not a method any more`);
    obj[method] = async (...args: any[]) => {
      if (!this.active) return orig.apply(obj, args);
      const done = this.start(typeof name === 'string' ? name : name(args));
      try {
        return await orig.apply(obj, args);
      } finally {
        done();
      }
    };
  }

  /** Starts timing one call by hand; call the returned function when it ends. */
  start(name: string): () => void {
    let t = this.totals.get(name);
    if (!t) {
      t = { calls: 0, ms: 0, running: 0, since: 0 };
      this.totals.set(name, t);
    }
    const total = t;
    total.calls++;
    if (total.running++ === 0) total.since = performance.now();
    return () => {
      if (--total.running === 0) total.ms += performance.now() - total.since;
    };
  }

  reset(): void {
    this.totals.clear();
  }

  get(name: string): { calls: number; ms: number } {
    const t = this.totals.get(name);
    return { calls: t?.calls ?? 0, ms: t?.ms ?? 0 };
  }

  /** Every name seen since the last reset, with its calls and wall time. */
  entries(): [string, { calls: number; ms: number }][] {
    return [...this.totals.entries()].map(([n, t]) => [n, { calls: t.calls, ms: t.ms }]);
  }
}
