import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { portProblem } from '../../src/lib/port.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run build:server` into `outdir`: the compiled server, as the Docker image builds it. */
export function buildServer(outdir: string): Promise<RunResult> {
  return run('npm', ['run', '--silent', 'build:server', '--', '--outdir', outdir]);
}

/** Runs a command to completion, in the project root unless `cwd` says otherwise. */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  cwd = ROOT,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * How a test runs the server: `main` is node's arguments before the server's own (tsx and src/main.ts, as
 * `npm start` does, unless a test runs a compiled build), `cwd` the folder it runs in.
 */
export interface ServerCommand {
  main: string[];
  cwd: string;
}
const TSX_SERVER: ServerCommand = { main: ['--import', 'tsx', 'src/main.ts'], cwd: ROOT };

/**
 * Refuses a port another process listens on: its /readyz would be taken for the new server's (which exits,
 * port taken), and the test would talk to that other process. Random picks (testPort) can meet one.
 */
async function ensurePortFree(port: number): Promise<void> {
  const problem = await portProblem(port, '127.0.0.1');
  if (problem) throw new Error(`cannot start a server for this test: ${problem} (by another process)`);
}

/** Starts the server (`src/main.ts`) as its own process and waits until /readyz answers 200. */
export async function startServer(
  env: Record<string, string>,
  port: number,
  args: string[] = [],
  readyTimeoutMs = 60_000,
  command: ServerCommand = TSX_SERVER,
) {
  await ensurePortFree(port);
  const child: ChildProcess = spawn(process.execPath, [...command.main, ...args], {
    cwd: command.cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilReady(child, port, readyTimeoutMs, () => child.kill('SIGKILL'));
}

/**
 * Starts the server with the README's own command, `npm start`, in a process group of its own (npm runs
 * the server as a grandchild: signals go to the whole group, as Ctrl-C in a terminal does), and waits until
 * /readyz answers 200. `signal` sends to the group; `gone` resolves once every process of it has ended
 * (npm itself may end first, on the signal).
 */
export async function startNpmServer(env: Record<string, string>, port: number, readyTimeoutMs = 60_000) {
  await ensurePortFree(port);
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {}
  };
  const gone = Promise.all(
    [child.stdout!, child.stderr!].map((s) => new Promise((resolve) => s.once('close', resolve))),
  );
  return { ...(await untilReady(child, port, readyTimeoutMs, () => signal('SIGKILL'))), signal, gone };
}

async function untilReady(child: ChildProcess, port: number, readyTimeoutMs: number, kill: () => void) {
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) });
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      kill();
      throw new Error(`server did not become ready:\n${output}`);
    }
    // A short step: tests start dozens of servers and workers, each waited on here.
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited, output: () => output };
}
