import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../lib/logger.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { alive } from './embedded-state.js';
import { EmbeddedError } from './postgres-binaries.js';

// Starting the embedded servers of embedded.ts: PostgreSQL (embedded-postgres.ts) in DATA_DIR/postgres, and
// a private redis-server (redis-memory-server with the system binary).

export { EmbeddedError };

/** Where redis-server usually is when REDISMS_SYSTEM_BINARY / package.json name no existing binary. */
const REDIS_BINARIES = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/opt/homebrew/bin/redis-server',
];

/** One owner per data directory: a lock file holding the owner's pid (taken over when that pid is gone). */
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

/**
 * PostgreSQL on DATA_DIR/postgres (its log in DATA_DIR/postgres.log), on the port of `url` when free, else
 * on any free port; the directory is locked while this process owns the server.
 */
export async function startPostgres(dataDir: string, url: string, log: Logger) {
  const dir = resolve(dataDir, 'postgres');
  const logFile = resolve(dataDir, 'postgres.log');
  const lockFile = resolve(dataDir, 'postgres.lock');
  mkdirSync(dataDir, { recursive: true });
  if (!lockDirectory(lockFile)) {
    throw new EmbeddedError(
      `another process is starting the embedded PostgreSQL in ${dir}; try again in a few seconds, or set DATABASE_URL`,
    );
  }
  const releaseLock = () => rmSync(lockFile, { force: true });
  process.once('exit', releaseLock);
  try {
    const started = Date.now();
    log.info({ dataDir: dir }, 'starting the embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dir, url, logFile });
    log.debug({ ms: Date.now() - started, initialised: pg.initialised }, 'embedded PostgreSQL ready');
    return {
      ...pg,
      dir,
      logFile,
      async close() {
        await pg.close();
        process.off('exit', releaseLock);
        releaseLock();
      },
    };
  } catch (err) {
    process.off('exit', releaseLock);
    releaseLock();
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

/** A private in-memory redis-server on 127.0.0.1; `close` stops it, and so does this process exiting. */
export async function startRedis(log: Logger) {
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
