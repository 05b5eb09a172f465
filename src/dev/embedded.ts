import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/startup.js';
import { startPgliteServer } from './pglite-server.js';

// The embedded default: `npm start` on a machine with only Node. DATABASE_URL and REDIS_URL win when set.
// Otherwise the local defaults are tried (a quick TCP probe), and when nothing answers there an embedded
// PostgreSQL (PGlite, data in DATA_DIR/pglite) and a private redis-server (redis-memory-server with the
// system binary) are started in this process. Production never falls back. EMBEDDED=off never falls
// back either; EMBEDDED=always skips the probe (demos, tests).
//
// The embedded servers are for trying NovaPayments out: PGlite runs one statement at a time for every
// connection and holds one session for all of them (see pglite-server.ts and docs/runbook.md).
//
// A CLI run (or a second server) on the same DATA_DIR finds the servers of the process that started them
// in DATA_DIR/embedded.json and connects to those: a PGlite data directory has exactly one owner.

export class EmbeddedError extends Error {}

export type EmbeddedMode = 'auto' | 'off' | 'always';

export interface Servers {
  databaseUrl: string;
  redisUrl: string;
  /** The database is PGlite: one session shared by every connection, so no named prepared statements. */
  embeddedDatabase: boolean;
  /** Stops the embedded servers this process started (not those it borrowed); idempotent. */
  close(): Promise<void>;
}

interface StateFile {
  pid: number;
  databaseUrl?: string;
  redisUrl?: string;
}

const PROBE_TIMEOUT_MS = 700;
/** Where redis-server usually is when REDISMS_SYSTEM_BINARY / package.json name no existing binary. */
const REDIS_BINARIES = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/opt/homebrew/bin/redis-server',
];

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

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

class StateStore {
  readonly file: string;
  constructor(dataDir: string) {
    this.file = resolve(dataDir, 'embedded.json');
  }
  /** The servers another live process on this DATA_DIR started, if any. */
  read(): StateFile | null {
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      return typeof s.pid === 'number' && alive(s.pid) ? s : null;
    } catch {
      return null;
    }
  }
  write(s: StateFile): void {
    writeFileSync(this.file, `${JSON.stringify(s)}\n`, { mode: 0o600 });
  }
  remove(): void {
    const s = (() => {
      try {
        return JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      } catch {
        return null;
      }
    })();
    if (s?.pid === process.pid) rmSync(this.file, { force: true });
  }
}

/** One owner per PGlite directory: a lock file holding the owner's pid (taken over when that pid is gone). */
function lockDirectory(lockFile: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return false;
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  return false;
}

async function startPostgres(dataDir: string, log: Logger) {
  const dir = resolve(dataDir, 'pglite');
  const lockFile = resolve(dataDir, 'pglite.lock');
  mkdirSync(dataDir, { recursive: true });
  if (!lockDirectory(lockFile)) {
    throw new EmbeddedError(
      `another process is starting the embedded PostgreSQL in ${dir}; try again in a few seconds, or set DATABASE_URL`,
    );
  }
  try {
    const started = Date.now();
    log.info(
      { dataDir: dir },
      'starting the embedded PostgreSQL (PGlite); the first start takes up to a minute',
    );
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir: dir });
    const releaseLock = () => rmSync(lockFile, { force: true });
    process.once('exit', releaseLock);
    const server = await startPgliteServer(db, {
      onStall: (info) =>
        log.warn(
          info,
          'embedded PostgreSQL: one connection has kept a transaction open while others wait (one backend: this never ends if that code waits for another connection)',
        ),
    });
    log.debug({ ms: Date.now() - started }, 'embedded PostgreSQL ready');
    return {
      url: server.url,
      dir,
      async close() {
        await server.stop();
        await db.close();
        process.off('exit', releaseLock);
        releaseLock();
      },
    };
  } catch (err) {
    rmSync(lockFile, { force: true });
    throw err;
  }
}

async function redisBinary(): Promise<string> {
  // The library's own reading of REDISMS_SYSTEM_BINARY and package.json's "redisMemoryServer". A CommonJS
  // module: depending on the loader its function is `default` or `default.default`.
  type Resolve = (key: string) => string | undefined;
  const mod = (await import('redis-memory-server/lib/util/resolve-config.js')) as unknown as {
    default: Resolve | { default: Resolve };
  };
  const resolveConfig = typeof mod.default === 'function' ? mod.default : mod.default.default;
  const configured = resolveConfig('SYSTEM_BINARY');
  for (const candidate of [configured, ...REDIS_BINARIES])
    if (candidate && existsSync(candidate)) return candidate;
  throw new EmbeddedError(
    `no redis-server binary to start an embedded Redis (looked at ${[configured, ...REDIS_BINARIES].filter(Boolean).join(', ')}): install redis-server, point REDISMS_SYSTEM_BINARY at one, or set REDIS_URL`,
  );
}

async function startRedis(log: Logger) {
  const systemBinary = await redisBinary();
  const { RedisMemoryServer } = await import('redis-memory-server');
  const server = await RedisMemoryServer.create({
    binary: { systemBinary },
    // The same policy as production: BullMQ and rate-limit keys must never be evicted silently.
    instance: { ip: '127.0.0.1', args: ['--maxmemory-policy', 'noeviction'] },
    // Its own process group: Ctrl-C (SIGINT to the terminal's group) must reach only this process, which
    // stops Redis itself after the graceful shutdown that still needs it. The library's watchdog process
    // stops it if this process dies without that.
    spawn: { detached: true },
  });
  const url = `redis://${await server.getIp()}:${await server.getPort()}`;
  log.debug({ url, systemBinary }, 'embedded Redis ready');
  // In its own process group it outlives this process unless stopped: also on process.exit (a shutdown
  // that timed out, a crash). Only SIGKILL of this process leaves it to the library's watchdog.
  const info = server.getInstanceInfo();
  const pid = info ? info.childProcess?.pid : undefined;
  const killOnExit = () => {
    if (!pid) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  };
  process.once('exit', killOnExit);
  return {
    url,
    systemBinary,
    async close() {
      process.off('exit', killOnExit);
      await server.stop();
    },
  };
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
    return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, embeddedDatabase: false, close };
  }

  const borrowed = state.read();
  const mine: StateFile = { pid: process.pid };
  let databaseUrl = config.databaseUrl;
  let redisUrl = config.redisUrl;
  try {
    if (pgChoice === 'embedded') {
      if (borrowed?.databaseUrl && (await answers(borrowed.databaseUrl))) {
        databaseUrl = borrowed.databaseUrl;
        log.info(
          { databaseUrl, pid: borrowed.pid },
          `using the embedded PostgreSQL of process ${borrowed.pid} (set DATABASE_URL to use a real server)`,
        );
      } else {
        const pg = await startPostgres(config.dataDir, log);
        closers.push(pg.close);
        databaseUrl = mine.databaseUrl = pg.url;
        log.warn(
          { databaseUrl, dataDir: pg.dir, embedded: config.embedded },
          `${config.embedded === 'always' ? 'EMBEDDED=always' : `no PostgreSQL answers at ${redactUrl(config.databaseUrl)}`}: ` +
            `using an embedded PostgreSQL (PGlite) at ${databaseUrl}, data in ${pg.dir}. It is for trying NovaPayments out ` +
            '(one statement at a time, one session): set DATABASE_URL or start PostgreSQL on 127.0.0.1:5432 for real use; EMBEDDED=off turns this off',
        );
      }
    }
    if (redisChoice === 'embedded') {
      if (borrowed?.redisUrl && (await answers(borrowed.redisUrl))) {
        redisUrl = borrowed.redisUrl;
        log.info(
          { redisUrl, pid: borrowed.pid },
          `using the embedded Redis of process ${borrowed.pid} (set REDIS_URL to use a real server)`,
        );
      } else {
        const redis = await startRedis(log);
        closers.push(redis.close);
        redisUrl = mine.redisUrl = redis.url;
        log.warn(
          { redisUrl, binary: redis.systemBinary, embedded: config.embedded },
          `${config.embedded === 'always' ? 'EMBEDDED=always' : `no Redis answers at ${redactUrl(config.redisUrl)}`}: ` +
            `started a private redis-server at ${redisUrl} (in memory, gone when this process stops): ` +
            'set REDIS_URL or start Redis on 127.0.0.1:6379 for real use; EMBEDDED=off turns this off',
        );
      }
    }
    // A CLI run finds what this process started; the file of another live process is left as it is.
    if ((mine.databaseUrl || mine.redisUrl) && !borrowed) {
      state.write(mine);
      process.once('exit', () => state.remove());
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { databaseUrl, redisUrl, embeddedDatabase: pgChoice === 'embedded', close };
}
