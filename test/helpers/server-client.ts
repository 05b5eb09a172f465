import { sign, type TestContext } from './app.js';
import { inProcessCliRunner } from './cli-in-process.js';
import { databaseUrl } from './db.js';
import { run } from './process.js';

// Talking to a server process as a merchant does: the CLI in its own process (one JSON object on stdout),
// and signed HTTP requests over a real socket.

export interface SignedKey {
  apiKey: string;
  apiSecret: string;
}

/** Runs `npm run cli -- …args` with `env`; fails on a non-zero exit; returns the JSON it printed. */
export function cliRunner(env: Record<string, string>, timeoutMs = 120_000) {
  return async (...args: string[]) => {
    const r = await run('npm', ['run', '--silent', 'cli', '--', ...args], env, timeoutMs);
    if (r.code !== 0) throw new Error(`cli ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
}

/** The CLI's commands (in-process) against a test app's own database and Redis prefix. */
export function appCli(t: TestContext) {
  return inProcessCliRunner({
    DATABASE_URL: databaseUrl(t.dbName),
    REDIS_PREFIX: t.app.config.redisPrefix,
    LOG_LEVEL: 'warn',
  });
}

/** A signed request to the server on `port` (the signature of the raw body, empty for GET). */
export function signedCaller(port: number) {
  return async (key: SignedKey, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        'x-api-key': key.apiKey,
        'x-signature': sign(key.apiSecret, raw),
        ...(raw ? { 'content-type': 'application/json' } : {}),
      },
      body: raw || undefined,
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
}
