import pg from 'pg';
import type { Logger } from '../../../lib/logger.js';
import { WEBHOOKS_CHANNEL } from '../service.js';

// What wakes a dispatcher: a NOTIFY on the webhooks channel (the outbox relay recorded deliveries, another
// worker gave up endpoints), its timers (retries coming due, the backstop poll, lease renewal). Losing the
// LISTEN connection only slows it down to the poll until the connection is back.

export class Wakeups {
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: pg.Client | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  /** Calls `onNotify` on every NOTIFY of the webhooks channel, reconnecting when the connection drops. */
  async listen(onNotify: () => void): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', onNotify);
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'webhook listener lost its connection; polling until it is back');
      this.listener = null;
      this.after(1000, () => void this.listen(onNotify).catch(() => undefined));
    });
    try {
      await client.connect();
      await client.query(`listen ${WEBHOOKS_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'webhook listener could not connect; polling');
      this.after(1000, () => void this.listen(onNotify).catch(() => undefined));
    }
  }

  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.add(t);
  }

  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Stops the timers now; the LISTEN connection closes with `close`. */
  stopTimers(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async close(): Promise<void> {
    this.stopTimers();
    await this.listener?.end().catch(() => undefined);
  }
}
