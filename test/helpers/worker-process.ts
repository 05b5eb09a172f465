import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { testPort } from './ports.js';
import { buildServer, ROOT, type ServerCommand, startServer } from './process.js';
import { eventually } from './receiver.js';

// A worker (`src/main.ts --role worker`, or another role) as its own process on a test app's database and Redis,
// for tests that kill it (SIGKILL) mid-payout or mid-sweep and start another.
//
// The processes run the server compiled by `npm run build:server` (as the Docker image runs it), built into
// .test-build/ as the handle is made, while the test file sets up its app: these tests start 5 to 8 workers
// each, and through tsx a start spent about 5.5 s of a 2-core host's CPU compiling and loading src/ (6-7 s of
// CPU time to import src/app.ts, against 3.5 s for the compiled files; the worker is ready about 0.2 s after
// its imports). What they test is how the worker's code survives SIGKILL, not tsx; test/e2e/compiled.test.ts
// checks that the build runs as tsx does.

export interface WorkerProcess {
  start(): Promise<void>;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Waits for a withdrawal's row to satisfy `pred`; on a timeout the error carries the worker's log. */
  until(id: string, pred: (r: WithdrawalState) => boolean, timeoutMs?: number): Promise<void>;
  /** Waits for the first row of a query to satisfy `pred` (null when it has no row). */
  untilRow<R>(
    sql: string,
    params: unknown[],
    pred: (r: R | null) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  /** Everything every worker process of this handle printed (logs at debug level), for secret checks. */
  output(): string;
  /** Kills a worker still running and deletes the build (once it is written). */
  dispose(): Promise<void>;
}

export interface WithdrawalState {
  status: string;
  payout_state: string | null;
}

const BUILDS = join(ROOT, '.test-build');

/**
 * Deletes the builds of test processes that are gone: a file whose tests were all filtered out never runs its
 * afterAll (dispose), and vitest ends its workers without an exit event.
 */
function pruneBuilds() {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(BUILDS);
  } catch {}
  for (const dir of dirs) {
    const pid = Number(dir.split('-')[0]);
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(BUILDS, dir), { recursive: true, force: true });
    }
  }
}

/**
 * The build this test process's handles share (a file may make several: payouts-crash makes one per chain),
 * made once while any handle holds it and deleted when the last one is disposed.
 */
let shared: { dir: string; compiled: Promise<ServerCommand>; holders: number } | null = null;
let builds = 0;

function holdBuild(): { compiled: Promise<ServerCommand>; release: () => Promise<void> } {
  if (!shared) {
    const dir = join(BUILDS, `${process.pid}-${++builds}`);
    const compiled = (async (): Promise<ServerCommand> => {
      pruneBuilds();
      const built = await buildServer(join(dir, 'dist'));
      if (built.code !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`);
      return { main: [join(dir, 'dist/src/main.js')], cwd: ROOT };
    })();
    compiled.catch(() => undefined); // reported by the start() that needs it
    shared = { dir, compiled, holders: 0 };
  }
  const held = shared;
  held.holders++;
  let released = false;
  return {
    compiled: held.compiled,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      if (shared === held) shared = null;
      await held.compiled.catch(() => undefined);
      rmSync(held.dir, { recursive: true, force: true });
    },
  };
}

export function workerProcess(
  pool: () => Pool,
  env: () => Record<string, string>,
  args: string[] = ['--role', 'worker'],
): WorkerProcess {
  const port = testPort();
  let worker: Awaited<ReturnType<typeof startServer>> | null = null;
  let earlier = '';
  // Built from the start, while the test file sets up its app and devnets; a failure is reported by start().
  const build = holdBuild();
  const state = async (id: string) =>
    (await pool().query<WithdrawalState>('select status, payout_state from withdrawals where id = $1', [id]))
      .rows[0]!;
  return {
    async start() {
      worker = await startServer(
        {
          LOG_LEVEL: 'debug',
          NODE_ENV: 'development',
          PAYOUT_MONITOR_MS: '200',
          CHAIN_SCAN_INTERVAL_MS: '600000',
          ...env(),
        },
        port,
        args,
        60_000,
        await build.compiled,
      );
    },
    async kill() {
      worker!.child.kill('SIGKILL');
      await worker!.exited;
      earlier += worker!.output();
      worker = null;
    },
    async stop() {
      worker!.child.kill('SIGTERM');
      const code = await worker!.exited;
      earlier += worker!.output();
      worker = null;
      return code;
    },
    async until(id, pred, timeoutMs = 30_000) {
      try {
        await eventually(async () => pred(await state(id)), timeoutMs);
      } catch (err) {
        throw new Error(
          `${(err as Error).message}; state ${JSON.stringify(await state(id))}\n${worker?.output().slice(-4000)}`,
        );
      }
    },
    async untilRow<R>(sql: string, params: unknown[], pred: (r: R | null) => boolean, timeoutMs = 30_000) {
      const row = async () => ((await pool().query(sql, params)).rows[0] as R | undefined) ?? null;
      try {
        await eventually(async () => pred(await row()), timeoutMs);
      } catch (err) {
        const last = JSON.stringify(await row(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
        throw new Error(`${(err as Error).message}; row ${last}\n${worker?.output().slice(-4000)}`);
      }
    },
    output: () => earlier + (worker?.output() ?? ''),
    async dispose() {
      if (worker?.child.exitCode === null) worker.child.kill('SIGKILL');
      await build.release();
    },
  };
}
