import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { alive } from './embedded-state.js';
import {
  type Account,
  type Binaries,
  EmbeddedError,
  errorText,
  postgresAccount,
  postgresBinaries,
} from './postgres-binaries.js';

// A real PostgreSQL server for the embedded default (embedded.ts) and for the tests where none answers
// (test/helpers/global-setup.ts): the binaries of postgres-binaries.ts, a data directory made by initdb on
// the first start, a server on 127.0.0.1 only (trust authentication, like the development machines' own
// server; no Unix socket), in its own process group so that Ctrl-C reaches only our process, which stops
// PostgreSQL after its graceful shutdown. Stopped by `close()` (a fast shutdown: sessions ended, a
// checkpoint written), or by this process exiting.

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The data directory; initdb makes it on the first start. */
  dir: string;
  /** User and database are kept from this URL; its port is used when free, else any free port. */
  url: string;
  /** The server's own log, appended to. */
  logFile: string;
  readyTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  pid: number;
  /** The PostgreSQL version, e.g. "16". */
  major: string;
  /** True when this start ran initdb (a new, empty cluster). */
  initialised: boolean;
  /** The account it runs as when this process is root. */
  account: string | null;
  /** A fast shutdown; resolves once the server has exited. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts PostgreSQL on `dir`. The caller owns `dir` (embedded-servers.ts locks it): a server still
 * running there from an earlier owner that was killed is stopped first.
 */
export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bin = await postgresBinaries();
  const account = postgresAccount();
  const wanted = new URL(o.url);
  const user = decodeURIComponent(wanted.username) || 'postgres';
  const initialised = await initialise(bin, o.dir, user, account);
  await stopLeftover(o.dir);
  const port = await pickPort(Number(wanted.port) || 5432);
  const logOffset = existsSync(o.logFile) ? statSync(o.logFile).size : 0;
  const child = spawnPostgres(bin, o.dir, port, o.logFile, account);
  const stopOnExit = () => signal(child, 'SIGINT');
  process.once('exit', stopOnExit);
  try {
    await untilReady(child, o.dir, o.logFile, logOffset, o.readyTimeoutMs ?? 60_000);
  } catch (err) {
    process.off('exit', stopOnExit);
    await stop(child);
    throw err;
  }
  const url = new URL(o.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.password = '';
  return {
    url: url.toString(),
    port,
    pid: child.pid!,
    major: bin.major,
    initialised,
    account: account?.name ?? null,
    async close() {
      process.off('exit', stopOnExit);
      await stop(child);
    },
  };
}

/**
 * initdb into a sibling folder, renamed into place when complete: an interrupted first start leaves no
 * half-made cluster. An existing cluster of another major version is refused (its data needs pg_upgrade).
 */
async function initialise(bin: Binaries, dir: string, user: string, account: Account | null) {
  const versionFile = join(dir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const made = readFileSync(versionFile, 'utf8').trim();
    if (made !== bin.major) {
      throw new EmbeddedError(
        `${dir} holds a PostgreSQL ${made} cluster, and the embedded PostgreSQL is version ${bin.major}: move it away (or delete it to start over), or set DATABASE_URL to a PostgreSQL ${made} server`,
      );
    }
    return false;
  }
  if (existsSync(dir)) {
    throw new EmbeddedError(
      `${dir} exists but holds no PostgreSQL cluster: move it away, or set DATABASE_URL`,
    );
  }
  const staging = `${dir}.initdb-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  if (account) chownSync(staging, account.uid, account.gid);
  const args = ['-D', staging, '-U', user, '--auth=trust', '--encoding=UTF8', '--no-locale'];
  try {
    await execFileAsync(bin.initdb, args, { ...(account ? { uid: account.uid, gid: account.gid } : {}) });
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const as = account
      ? ` It runs as the "${account.name}" account (PostgreSQL refuses root), which must be able to reach ${bin.initdb} and ${dir}.`
      : '';
    throw new EmbeddedError(`initdb failed for ${dir}: ${errorText(err)}.${as} Or set DATABASE_URL`);
  }
  return true;
}

/**
 * A server left running on `dir` by an owner that was killed (SIGKILL, a closed terminal) holds its lock
 * file and port: stop it (Linux: the pid in postmaster.pid is a postgres whose working directory is `dir`;
 * elsewhere PostgreSQL's own refusal names the pid).
 */
async function stopLeftover(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  const pid = Number(readLines(pidFile)[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  try {
    if (!basename(readlinkSync(`/proc/${pid}/exe`)).startsWith('postgres')) return;
    if (realpathSync(`/proc/${pid}/cwd`) !== realpathSync(dir)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (existsSync(pidFile) && alive(pid) && Date.now() < deadline) await sleep(50);
  if (existsSync(pidFile) && alive(pid)) {
    throw new EmbeddedError(
      `a PostgreSQL (pid ${pid}) left running on ${dir} did not stop: stop it, or set DATABASE_URL`,
    );
  }
}

/** `preferred` when nothing listens there, else a port the system picks. */
async function pickPort(preferred: number): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null));
      s.listen(port, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  const port = (await listen(preferred)) ?? (await listen(0));
  if (port === null) throw new EmbeddedError('no free port on 127.0.0.1 for the embedded PostgreSQL');
  return port;
}

function spawnPostgres(bin: Binaries, dir: string, port: number, logFile: string, account: Account | null) {
  const log = openSync(logFile, 'a', 0o600);
  try {
    const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
    args.push('-c', 'unix_socket_directories=');
    const child = spawn(bin.postgres, args, {
      detached: true,
      stdio: ['ignore', log, log],
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    child.on('error', () => undefined); // reported by untilReady as an early exit
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Until postmaster.pid says this server is ready (what `pg_ctl start -w` waits for), or it exits. */
async function untilReady(
  child: ChildProcess,
  dir: string,
  logFile: string,
  offset: number,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      throw new EmbeddedError(`the embedded PostgreSQL did not start:\n${logTail(logFile, offset)}`);
    }
    const lines = readLines(join(dir, 'postmaster.pid'));
    if (Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return;
    if (Date.now() > deadline) {
      throw new EmbeddedError(
        `the embedded PostgreSQL was not ready after ${timeoutMs / 1000} s:\n${logTail(logFile, offset)}`,
      );
    }
    await sleep(25);
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(name);
  } catch {}
}

/** A fast shutdown (SIGINT); an immediate one (SIGQUIT) if that takes more than 15 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.ref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal(child, 'SIGINT');
  const timer = setTimeout(() => signal(child, 'SIGQUIT'), 15_000);
  await exited;
  clearTimeout(timer);
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/** The last lines the server logged since `offset`. */
function logTail(file: string, offset: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const from = Math.max(offset, size - 4000);
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8').trim() || '(nothing logged)';
    } finally {
      closeSync(fd);
    }
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
