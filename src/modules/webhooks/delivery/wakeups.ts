import { type ChannelListener, listenChannel } from '../../../db/listener.js';
import type { Logger } from '../../../lib/logger.js';
import { WEBHOOKS_CHANNEL } from '../service.js';

// What wakes a dispatcher: a NOTIFY on the webhooks channel (the outbox relay recorded deliveries, another
// worker gave up endpoints), its timers (retries coming due, the backstop poll, lease renewal). Losing the
// LISTEN connection only slows it down to the poll until the connection is back.

export class Wakeups {
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: ChannelListener | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  /**
   * Calls `onNotify` with the payload of every NOTIFY of the webhooks channel, reconnecting when the
   * connection drops (then once without one).
   */
  async listen(onNotify: (payload?: string) => void): Promise<void> {
    if (this.stopped) return;
    const listener = await listenChannel({
      databaseUrl: this.databaseUrl,
      channel: WEBHOOKS_CHANNEL,
      onNotify,
      log: this.log,
      what: 'webhook',
    });
    // Closed while it was connecting: nobody else will close it (and it would reconnect for good).
    if (this.stopped) await listener.close();
    else this.listener = listener;
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
    await this.listener?.close();
  }
}
