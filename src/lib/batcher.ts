// Gathers concurrent requests into batches. An idle batcher runs a request at once (no added latency);
// while `maxInFlight` batches are running, new requests wait and go together in the next one. Under load
// that turns N commits into one, which is what keeps a hot payee fast (DESIGN.md "Ledger").

/**
 * One item of a batch that failed on its own (its transaction rolled back) while the others were decided:
 * `run` returns it in that item's place and the batcher rejects only that item's caller with `cause`.
 */
export class BatchItemFailure {
  constructor(readonly cause: unknown) {}
}

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Sizes of the batches run so far, for metrics and benchmarks. */
  readonly stats = { batches: 0, items: 0, maxBatch: 0 };
  /** Told about each finished batch: its items, their results (null when the batch failed) and duration. */
  observer?: (batch: { items: I[]; results: (R | BatchItemFailure)[] | null; ms: number }) => void;

  constructor(
    private readonly run: (items: I[]) => Promise<(R | BatchItemFailure)[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /**
   * Queues many items at once, in order, before any batch starts: they fill batches together (a lone
   * first item does not go alone) and keep their order within each batch.
   */
  submitMany(items: I[]): Promise<R>[] {
    const promises = items.map(
      (item) =>
        new Promise<R>((resolve, reject) => {
          this.queue.push({ item, resolve, reject });
        }),
    );
    this.pump();
    return promises;
  }

  /** Resolves when nothing is queued or running (used on shutdown). */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private observe(items: I[], results: (R | BatchItemFailure)[] | null, started: number): void {
    try {
      this.observer?.({ items, results, ms: performance.now() - started });
    } catch {
      // Metrics must never decide a posting's outcome.
    }
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.items += batch.length;
      if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
      const started = performance.now();
      const items = batch.map((p) => p.item);
      this.run(items)
        .then(
          (results) => {
            this.observe(items, results, started);
            for (const [i, p] of batch.entries()) {
              const r = results[i];
              if (r instanceof BatchItemFailure) p.reject(r.cause);
              else p.resolve(r as R);
            }
          },
          (err) => {
            this.observe(items, null, started);
            for (const p of batch) p.reject(err);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) {
            for (const w of this.idleWaiters.splice(0)) w();
          }
        });
    }
  }
}
