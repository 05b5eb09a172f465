import pg from 'pg';
import { FailureRun } from '../lib/failure-run.js';
import type { Logger } from '../lib/logger.js';

// A LISTEN connection that heals itself (the outbox relay, the webhook dispatchers and the payout worker are
// woken this way; each also polls, so a lost connection only slows them down until it is back). A connection
// that fails or ends is dropped and a new one is opened after `retryMs`, one at a time: never two listeners
// for one channel, never a dead client left open. Each time it is listening again `onNotify` is called once,
// so what was notified while it was away is picked up at once instead of at the next poll (with no payload:
// the payloads sent meanwhile are lost, so a payload may only ever hurry what the poll does anyway).

export interface ChannelListener {
  /** True while the LISTEN is in place. */
  readonly listening: boolean;
  /** Stops listening for good and closes the connection. */
  close(): Promise<void>;
}

export interface ListenOptions {
  databaseUrl: string;
  channel: string;
  /** A NOTIFY's payload ('' when it had none); undefined for the call after a reconnect. */
  onNotify: (payload?: string) => void;
  log: Logger;
  /** Names the listener in its log lines ('outbox', 'webhook', 'payout'). */
  what: string;
  retryMs?: number;
}

const DEFAULT_RETRY_MS = 1_000;
/** A connect that takes longer is abandoned and tried again (an unreachable host would hang ~2 minutes). */
const CONNECT_TIMEOUT_MS = 5_000;

/** Starts listening; resolves once the first attempt has connected or failed (retries go on in the background). */
export async function listenChannel(o: ListenOptions): Promise<ChannelListener> {
  const retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  /** Every connect but the first (awaited below) is a return after a gap. */
  let first = true;
  // While PostgreSQL is away every reconnect fails (one a second): logged once, and once when it is back.
  const failures = new FailureRun(o.log, {
    failing: `${o.what} listener could not connect; polling (logged again when it connects)`,
    recovered: `${o.what} listener connected again`,
    countField: 'failedConnects',
  });
  const notify = (payload?: string) => {
    try {
      o.onNotify(payload);
    } catch (err) {
      o.log.error({ err }, `${o.what} listener's callback failed`);
    }
  };

  const scheduleRetry = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, retryMs);
    retry.unref();
  };

  const drop = (c: pg.Client, err: Error) => {
    if (client !== c) return; // an old client's late event: its replacement is already under way
    client = null;
    listening = false;
    c.end().catch(() => undefined);
    if (closed) return;
    o.log.warn({ err: err.message }, `${o.what} listener lost its connection; polling until it is back`);
    scheduleRetry();
  };

  async function connect(): Promise<void> {
    if (closed || client) return;
    const initial = first;
    first = false;
    // keepAlive: a connection whose server vanished without closing it is noticed, then replaced.
    const c = new pg.Client({
      connectionString: o.databaseUrl,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client = c;
    c.on('notification', (n) => notify(n.payload ?? ''));
    c.on('error', (err) => drop(c, err));
    c.on('end', () => drop(c, new Error('connection ended')));
    try {
      await c.connect();
      await c.query(`listen ${pg.escapeIdentifier(o.channel)}`);
      if (client !== c) return;
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      listening = true;
      failures.worked();
      // Back after a gap (or a first attempt that failed): whatever was notified meanwhile is looked at now.
      if (!initial) notify();
    } catch (err) {
      if (client !== c) return;
      client = null;
      c.end().catch(() => undefined);
      if (closed) return;
      failures.failed(err);
      scheduleRetry();
    }
  }

  await connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const c = client;
      client = null;
      listening = false;
      await c?.end().catch(() => undefined);
    },
  };
}
