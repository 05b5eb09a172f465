import type { Logger } from './logger.js';

// A recurring task that fails for as long as what it needs is away (PostgreSQL down: the outbox relay's
// passes, a listener's reconnects, the WebSocket revocation sweep) logs the run of failures once: a warning at
// the first failure and one info line, with how many failed, when it works again. A warning every pass from
// every process said nothing more and buried the rest of the log.

export interface FailureRunMessages {
  /** The warning at the first failure of a run. */
  failing: string;
  /** The info line when the task works again. */
  recovered: string;
  /** The field of the recovered line that counts the failures. */
  countField: string;
}

export class FailureRun {
  private failures = 0;

  constructor(
    private readonly log: Logger,
    private readonly messages: FailureRunMessages,
  ) {}

  /** How many times in a row the task has failed (0: it works). */
  get failing(): number {
    return this.failures;
  }

  /** `fields` go on the warning with the error (what ops need to act on this run). */
  failed(err: unknown, fields: Record<string, unknown> = {}): void {
    if (this.failures++ > 0) return;
    this.log.warn(
      { ...fields, err: err instanceof Error ? err.message : String(err) },
      this.messages.failing,
    );
  }

  worked(): void {
    if (this.failures === 0) return;
    this.log.info({ [this.messages.countField]: this.failures }, this.messages.recovered);
    this.failures = 0;
  }
}
