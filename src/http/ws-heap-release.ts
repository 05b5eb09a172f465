import vm from 'node:vm';

// Memory back after a mass disconnect. Thousands of WebSockets that close at once (a stream ends, a deploy
// moves viewers) leave their objects as garbage in V8's old space, and an idle process runs no major GC to
// collect it: V8's memory reducer is armed only by old-space growth before the first mark-compact or by a
// mark-compact that shrank memory, so the RSS stayed 1.2-1.4x its start for as long as the process idled
// (docs/benchmarks.md, fanout). When at least `minCloses` sockets have closed since the last release and at
// most half of the peak since then is still open, and no socket has closed for `quietMs`, this starts one
// major GC the way `vm.measureMemory({execution: 'eager'})` does: incremental marking, concurrent on V8's
// background thread, finished by a short pause on the event loop (not a blocking `gc()`, which took 122 ms
// at 85 MiB live), and a second one a second after the first has finished, which compacts the pages the first
// left sparsely filled and so returns them.
// A wave's tail: sockets that close late (a client that does not answer the close handshake is cut off by its
// own side 10 s or more later, as the fanout bench's slow readers are) would be fewer than `minCloses`, and
// their memory, with what was allocated since, waited for V8's next major GC (1.13x the start 30 s after
// 10,000 sockets closed, docs/benchmarks.md). So a release that left at least a tenth of `minCloses` sockets
// open is followed by one more, once half of those have closed too (the same quiet time and half-peak rule);
// that one has no follow-up of its own.

export interface HeapReleaseOptions {
  /** Sockets closed since the last release before one is considered; 0 turns releases off. */
  minCloses: number;
  /** How long no socket may have closed before the release runs (a disconnect wave is over). */
  quietMs: number;
  /** Starts the collection (tests pass a recorder); by default an eager memory measurement. */
  collect?: () => Promise<unknown>;
  /** Told after each release is started, with how many sockets closed since the one before. */
  onRelease?: (closes: number) => void;
}

/** Node prints an ExperimentalWarning the first time vm.measureMemory is called: ours is deliberate. */
function measureMemoryQuietly(): Promise<unknown> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/measureMemory/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return vm.measureMemory({ mode: 'summary', execution: 'eager' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** The second pass of a release, after the first has finished (see release()). */
const SECOND_PASS_DELAY_MS = 1_000;

export class HeapRelease {
  private open = 0;
  private peak = 0;
  private closes = 0;
  /** Sockets still open after the last release of a wave (0: none worth a follow-up, or it ran). */
  private tail = 0;
  private timer: NodeJS.Timeout | undefined;
  private second: NodeJS.Timeout | undefined;
  private readonly collect: () => Promise<unknown>;

  constructor(private readonly options: HeapReleaseOptions) {
    this.collect = options.collect ?? measureMemoryQuietly;
  }

  opened(): void {
    this.open++;
    if (this.open > this.peak) this.peak = this.open;
  }

  closed(): void {
    this.open = Math.max(0, this.open - 1);
    this.closes++;
    if (!this.due()) return;
    // Debounced: every close of the wave pushes the release back, so it runs once, after the wave.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.release(), this.options.quietMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.second);
    this.timer = undefined;
    this.second = undefined;
  }

  private due(): boolean {
    const { minCloses } = this.options;
    if (minCloses <= 0 || this.open * 2 > this.peak) return false;
    return this.closes >= minCloses || (this.tail > 0 && this.closes * 2 >= this.tail);
  }

  private release(): void {
    this.timer = undefined;
    if (!this.due()) return;
    const closes = this.closes;
    // A wave's release (not a follow-up) that left enough sockets open waits for their close too.
    const wave = closes >= this.options.minCloses;
    this.tail = wave && this.open * 10 >= this.options.minCloses ? this.open : 0;
    this.closes = 0;
    this.peak = this.open;
    // Two passes: the first frees the sockets' objects, but their pages also hold live objects allocated
    // beside them, so most stay committed (heapTotal 219 -> 176 MiB at 5,000 sockets); the second sees how
    // little each page holds and evacuates them, returning the pages (-> 133 MiB; docs/benchmarks.md).
    // A measurement that fails (never seen) only means the memory waits for V8's own next major GC.
    this.collect()
      .then(() => {
        this.second = setTimeout(() => {
          this.second = undefined;
          this.collect().catch(() => undefined);
        }, SECOND_PASS_DELAY_MS);
        this.second.unref();
      })
      .catch(() => undefined);
    this.options.onRelease?.(closes);
  }
}
