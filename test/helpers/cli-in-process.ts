import { type Command, CommanderError } from 'commander';
import { buildCli } from '../../src/cli/program.js';
import type { TestContext } from './app.js';
import { databaseUrl } from './db.js';
import type { RunResult } from './process.js';

// The CLI's commands run in the test's own process: the same program `npm run cli` builds, with the same
// environment, stdout and stderr and exit code, without a new node and tsx loading the whole app each time
// (seconds a command). Tests of the entry point itself spawn it (cliRunner, run).

let queue: Promise<unknown> = Promise.resolve();

/** Runs one command to completion; commands run one at a time (they share process.env and stdout). */
export function runCliInProcess(args: string[], env: Record<string, string>): Promise<RunResult> {
  const result = queue.then(() => runOnce(args, env));
  queue = result.catch(() => undefined);
  return result;
}

/** Runs commands against a test app's database and Redis prefix, as an operator's CLI beside its server. */
export function appCliInProcess(t: TestContext) {
  return (...args: string[]) =>
    runCliInProcess(args, {
      DATABASE_URL: databaseUrl(t.dbName),
      REDIS_PREFIX: t.app.config.redisPrefix,
      LOG_LEVEL: 'warn',
    });
}

/** As cliRunner, in-process: fails on a non-zero exit; returns the JSON the command printed. */
export function inProcessCliRunner(env: Record<string, string>) {
  return async (...args: string[]) => {
    const r = await runCliInProcess(args, env);
    if (r.code !== 0) throw new Error(`cli ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
}

async function runOnce(args: string[], env: Record<string, string>): Promise<RunResult> {
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedExitCode = process.exitCode;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const captured = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  }
  Object.assign(process.env, env);
  process.exitCode = undefined;
  let code: number;
  try {
    const program = buildCli();
    neverExit(program);
    await program.parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    code = err.exitCode;
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = savedExitCode;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, ...captured };
}

/** Commander exits the process on a usage error or --help; here it throws instead, at every level. */
function neverExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) neverExit(sub);
}
