import type { Logger } from '../../../lib/logger.js';
import type { DeliveryStore, Failure, Success } from './store.js';

// The outcomes of sent deliveries, gathered for a few milliseconds and written many to a statement
// (successes in one, failures in another, both in one transaction): one commit for many deliveries. One
// write at a time; what arrives meanwhile goes in the next. A delivery stays leased until its outcome is written, so an unwritten
// one is sent again once its lease lapses (at least once).

const FLUSH_MS = 5;
const FLUSH_MAX = 256;

export interface OutcomeHooks {
  /** After a write: these deliveries are settled (their leases are no longer this worker's business). */
  written: (keys: { eventId: string; endpointId: string; version: string }[]) => void;
  /** A failure that will be tried again after `retryMs`. */
  retry: (f: Failure) => void;
  /** Nothing is waiting to be written. */
  settled: () => void;
  /** This write disabled the endpoint (failing too long): what the worker has queued for it is not sent. */
  disabled: (endpointId: string) => void;
}

export class OutcomeWriter {
  private successes: Success[] = [];
  private failures: Failure[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  writes = 0;

  constructor(
    private readonly store: DeliveryStore,
    private readonly disableAfterMs: number,
    private readonly log: Logger,
    private readonly hooks: OutcomeHooks,
  ) {}

  get pending(): boolean {
    return this.successes.length + this.failures.length > 0 || this.running !== null;
  }

  success(s: Success): void {
    this.successes.push(s);
    this.schedule();
  }

  failure(f: Failure): void {
    this.failures.push(f);
    this.schedule();
  }

  private schedule(): void {
    if (this.successes.length + this.failures.length >= FLUSH_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running || this.successes.length + this.failures.length === 0) return;
    const ok = this.successes;
    const failed = this.failures;
    this.successes = [];
    this.failures = [];
    this.running = this.write(ok, failed)
      .catch((err) => {
        this.log.error({ err, deliveries: ok.length + failed.length }, 'could not write webhook outcomes');
      })
      .finally(() => {
        this.hooks.written([...ok, ...failed]);
        this.running = null;
        if (this.successes.length + this.failures.length > 0) this.flush();
        else this.hooks.settled();
      });
  }

  private async write(ok: Success[], failed: Failure[]): Promise<void> {
    const { disabled, newlyDisabled } = await this.store.recordOutcomes(ok, failed, this.disableAfterMs);
    this.writes++;
    for (const id of newlyDisabled) {
      this.log.warn({ endpointId: id }, 'webhook endpoint disabled after failing too long');
      this.hooks.disabled(id);
    }
    for (const f of failed) if (!f.last && !disabled.has(f.endpointId)) this.hooks.retry(f);
  }
}
