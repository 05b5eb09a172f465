import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// Child processes: the API server (its own event loop, apart from the load generator), the CLI, pgbench.

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output; rejects when it exits non-zero. */
export function exec(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = REPO_ROOT,
): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ code, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr.slice(-2000)}`));
    });
  });
}

/** Runs `src/cli/index.ts <args> --json` (of the checkout `cwd`) and returns the one JSON object it prints. */
export async function cliJson<T>(args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<T> {
  const cli = ['--import', 'tsx', 'src/cli/index.ts', ...args, '--json'];
  const out = await exec(process.execPath, cli, env, cwd);
  try {
    return JSON.parse(out.stdout.trim()) as T;
  } catch {
    throw new Error(`cli ${args.join(' ')} printed no JSON object:\n${out.stdout}\n${out.stderr}`);
  }
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerChild {
  port: number;
  /** Every line the server printed (stdout and stderr; with LOG_LEVEL=warn only warnings and worse). */
  lines: string[];
  pid: number | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); returns the exit code or signal. */
  stop(): Promise<string>;
}

let built: Promise<unknown> | null = null;

/**
 * Starts the server and waits until GET /readyz answers 200: `node --import tsx src/main.ts [args]`, or with
 * BENCH_SERVER_BUILD=prod the compiled build as production runs it (`npm run start:prod`: `node
 * --enable-source-maps dist/src/main.js`), built afresh into dist/ once per bench run.
 */
export async function startServer(
  port: number,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<ServerChild> {
  if (process.env.BENCH_SERVER_BUILD !== 'prod')
    return startNodeScript('src/main.ts', port, env, '/readyz', args);
  built ??= exec(process.execPath, ['--import', 'tsx', 'scripts/build-server.ts']);
  await built;
  return startNodeScript('dist/src/main.js', port, env, '/readyz', args, REPO_ROOT, ['--enable-source-maps']);
}

/**
 * Starts `node --import tsx <script>` (a path from the repository root) with PORT and HOST=127.0.0.1 in its
 * environment, and waits until GET `readyPath` answers 200. BENCH_SERVER_NODE_ARGS adds node flags to it
 * (for a diagnosis, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", which NODE_OPTIONS does not allow).
 */
export async function startNodeScript(
  script: string,
  port: number,
  env: NodeJS.ProcessEnv,
  readyPath = '/readyz',
  args: string[] = [],
  cwd = REPO_ROOT,
  /** Node flags instead of `--import tsx` (a compiled script). */
  loader = ['--import', 'tsx'],
): Promise<ServerChild> {
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, ...loader, script, ...args], {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim() && lines.length < 10_000) lines.push(l);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit); // never leave a server behind if the bench dies

  const stop = async (): Promise<string> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const how = await exited;
    clearTimeout(timer);
    return how;
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (isDead(child)) throw new Error(`${script} exited during start-up (${await exited}):\n${tail(lines)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${readyPath}`);
      if (res.status === 200) return { port, pid: child.pid, lines, stop };
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${script} not ready after 90 s:\n${tail(lines)}`);
    }
    await sleep(250);
  }
}

/** Resident memory of a process in KiB (VmRSS of /proc/<pid>/status; NaN when it is gone). */
export function rssKiB(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime from /proc/<pid>/stat (Linux; clock ticks of 1/100 s, as on every common kernel). */
export function cpuSeconds(pid: number | string | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Every live descendant of a process (an API server's cluster workers), by /proc's parent links. */
export function descendants(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {} // exited meanwhile
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function isDead(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tail(lines: string[]): string {
  return lines.slice(-30).join('\n');
}

/**
 * Runs `node --import tsx <script>` with an IPC channel, sends it one message and resolves with the first
 * message it sends back; the child is told to go by closing the channel (SIGKILL if it is still there 10 s
 * later, or when `timeoutMs` passes without an answer).
 */
export function callNodeScript<T>(script: string, request: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 4000) stderr += c.toString('utf8');
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    let answered = false;
    const finish = () => {
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${script}: no answer within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('message', (m: T) => {
      answered = true;
      finish();
      resolve(m);
    });
    child.on('exit', (code, signal) => {
      process.off('exit', killOnExit);
      clearTimeout(timer);
      if (!answered) reject(new Error(`${script} exited (${code ?? signal}) without answering\n${stderr}`));
    });
    child.send(request as object);
  });
}
