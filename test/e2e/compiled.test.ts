import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX } from '../helpers/db.js';
import { testPort } from '../helpers/ports.js';
import {
  buildServer,
  ROOT,
  type RunResult,
  run,
  type ServerCommand,
  startServer,
} from '../helpers/process.js';
import { signedCaller } from '../helpers/server-client.js';

// The production build as the Docker image runs it (docker itself is not available here): `npm run
// build:server` compiles into the dist/ of a folder laid out like the image's runtime stage, which gets the
// files that stage copies (read from the Dockerfile) and nothing else: no src/, no tsconfig.json, no tsx at
// run time. From there, with NODE_ENV=production: the migration step, the API and a worker answer
// /healthz and /readyz, the CLI creates a key the API then accepts, and SIGTERM ends the API with exit 0.

const APP = mkdtempSync(join(tmpdir(), 'novapay-image-'));
const MAIN = join(APP, 'dist/src/main.js');
const COMPILED: ServerCommand = { main: ['--enable-source-maps', MAIN], cwd: APP };
const dbName = scratchName(TEST_DB_PREFIX);
const apiPort = testPort();
const workerPort = apiPort + 1000;
const env = {
  NODE_ENV: 'production',
  MASTER_KEY: randomBytes(32).toString('hex'),
  DATABASE_URL: databaseUrl(dbName),
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_PREFIX: `novapay-compiled:${randomBytes(4).toString('hex')}`,
  LOG_LEVEL: 'warn',
};
type Server = Awaited<ReturnType<typeof startServer>>;
let api: Server | undefined;
let worker: Server | undefined;

// What a failure message quotes of a process's output: its end, where a crash or a failed shutdown says why
// (CI once saw the API exit 1 on SIGTERM under load, and the failure showed nothing of what it printed).
const TAIL_CHARS = 64 * 1024;

function tail(text: string): string {
  return text.length > TAIL_CHARS
    ? `[…${text.length - TAIL_CHARS} characters before]${text.slice(-TAIL_CHARS)}`
    : text;
}

/** A command's exit code and the end of its stdout and stderr, for an assertion's message. */
function said(r: RunResult): string {
  return `exit ${r.code}\n--- stdout (end) ---\n${tail(r.stdout)}\n--- stderr (end) ---\n${tail(r.stderr)}`;
}

/** Starts the compiled server in `role`; a start that fails or times out names the role and quotes its output. */
async function startCompiled(role: 'api' | 'worker', port: number): Promise<Server> {
  try {
    return await startServer(env, port, ['--role', role], 60_000, COMPILED);
  } catch (err) {
    const [first, ...output] = (err as Error).message.split('\n');
    throw new Error(`the compiled ${role} process did not start: ${first}\n${tail(output.join('\n'))}`);
  }
}

/**
 * Waits until `child` has exited and its output is all read (its pipes closed: 'exit' can come before the
 * last of it), at most 10 s for the pipes, and says how it ended and what it printed last.
 */
async function howItEnded(server: Server): Promise<{ code: number | null; message: string }> {
  const code = await server.exited;
  const child: ChildProcess = server.child;
  const pipes = [child.stdout, child.stderr].filter((p) => p !== null && !p.closed);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(pipes.map((p) => new Promise((resolve) => p!.once('close', resolve)))),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 10_000);
    }),
  ]);
  clearTimeout(timer);
  const how = `exit code ${code}, signal ${child.signalCode ?? 'none'}`;
  return { code, message: `${how}; its output (stdout and stderr, the end):\n${tail(server.output())}` };
}

/** The runtime stage's `COPY` lines: [source, destination, stage it comes from or null]. */
function runtimeCopies(): [string, string, string | null][] {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n');
  const from = lines.findIndex((l) => /^FROM .* AS runtime$/i.test(l));
  return lines
    .slice(from)
    .filter((l) => l.startsWith('COPY '))
    .flatMap((l) => {
      const words = l.split(/\s+/).slice(1);
      const stage = /^--from=(\S+)$/.exec(words[0]!)?.[1] ?? null;
      const paths = stage ? words.slice(1) : words;
      const dest = paths.pop()!;
      return paths.map((p): [string, string, string | null] => [p, dest, stage]);
    });
}

/** Lays out APP as the runtime stage does; the server's own files only come from the build. */
function assembleImage() {
  for (const [source, dest, stage] of runtimeCopies()) {
    const target = join(APP, dest.endsWith('/') ? join(dest, source.split('/').pop()!) : dest);
    if (stage === 'deps') symlinkSync(join(ROOT, 'node_modules'), target);
    else if (stage === 'server') expect(existsSync(target), 'the build wrote dist/').toBe(true);
    // web/dist is built by Vite: the server runs without it (the pages answer 503), as tested elsewhere.
    else if (stage === 'web') continue;
    else {
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(ROOT, source), target, { recursive: true });
    }
  }
}

beforeAll(async () => {
  const built = await buildServer(join(APP, 'dist'));
  expect(built.code, said(built)).toBe(0);
  assembleImage();
  expect(existsSync(join(APP, 'src'))).toBe(false);
  expect(existsSync(join(APP, 'tsconfig.json'))).toBe(false);
  const migrated = await run(process.execPath, [MAIN, '--migrate-only'], env, 60_000, APP);
  expect(migrated.code, said(migrated)).toBe(0);
  expect(migrated.stdout).toMatch(/^applied Migration/m);
});

afterAll(async () => {
  for (const p of [api, worker]) if (p?.child.exitCode === null) p.child.kill('SIGKILL');
  await dropTestDatabase(dbName);
  rmSync(APP, { recursive: true, force: true });
});

describe('the compiled server', () => {
  it('serves the API and a worker, takes a key from the compiled CLI, and stops on SIGTERM', async () => {
    // Each kept when the other fails to start, so afterAll ends it.
    const [a, w] = await Promise.allSettled([
      startCompiled('api', apiPort),
      startCompiled('worker', workerPort),
    ]);
    if (a.status === 'fulfilled') api = a.value;
    if (w.status === 'fulfilled') worker = w.value;
    const failed = [a, w].flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
    if (a.status === 'rejected' || w.status === 'rejected') throw new Error(failed.join('\n\n'));
    api = a.value;
    worker = w.value;
    for (const port of [apiPort, workerPort]) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { postgres: true, redis: true, migrations: true },
      });
    }
    // Files read at run time are found from the image's root: the OpenAPI document and Swagger UI.
    const openapi = await fetch(`http://127.0.0.1:${apiPort}/api/v1/openapi.json`);
    expect((await openapi.json()).openapi).toMatch(/^3\./);
    expect((await fetch(`http://127.0.0.1:${apiPort}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);

    const cli = await run(
      process.execPath,
      [join(APP, 'dist/src/cli/index.js'), 'merchants', 'create', '--name', 'Compiled', '--json'],
      env,
      60_000,
      APP,
    );
    expect(cli.code, said(cli)).toBe(0);
    const key = JSON.parse(cli.stdout) as { apiKey: string; apiSecret: string };
    const balance = await signedCaller(apiPort)(key, 'GET', '/api/v1/balance/nobody');
    expect([balance.status, balance.body.error.code]).toEqual([404, 'not_found']);

    api.child.kill('SIGTERM');
    const stopped = await howItEnded(api);
    expect(stopped.code, `the compiled API process on SIGTERM: ${stopped.message}`).toBe(0);
  });
});
