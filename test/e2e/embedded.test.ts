import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../helpers/ports.js';
import { run, startServer } from '../helpers/process.js';
import { cliRunner, signedCaller } from '../helpers/server-client.js';

// The embedded default as a new user meets it: `npm start` with no PostgreSQL and no Redis to talk to. The
// machine's servers answer, so EMBEDDED=always takes the path that `auto` takes when nothing answers at the
// local defaults (the decision itself is tested in test/unit/embedded.test.ts). The chain devnets are off:
// they are not what this file is about, and they are tested elsewhere.
const dataDir = mkdtempSync(join(tmpdir(), 'novapay-embedded-'));
// As root, PostgreSQL runs as another account (it refuses root), which must reach the data directory.
chmodSync(dataDir, 0o755);
const port = testPort();
const env = {
  EMBEDDED: 'always',
  DATA_DIR: dataDir,
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  TRON_DEVNET: 'off',
  EVM_DEVNET: 'off',
};
let server: Awaited<ReturnType<typeof startServer>>;

const cli = cliRunner(env);
const call = signedCaller(port);

beforeAll(async () => {
  // initdb (the first start only) and PostgreSQL's start take about a second, then the migrations run.
  server = await startServer(env, port, [], 170_000);
}, 180_000);

afterAll(async () => {
  if (server?.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with the embedded defaults', () => {
  it('reaches /readyz 200 and says what it started and how to use real servers', async () => {
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(ready).toEqual({ status: 'ready', checks: { postgres: true, redis: true, migrations: true } });
    const log = server.output();
    // The machine's PostgreSQL has port 5432: the embedded one takes a free port.
    expect(log).toMatch(
      /started an embedded PostgreSQL 16 at postgres:\/\/root@127\.0\.0\.1:\d+\/novapay, data in /,
    );
    expect(log).not.toMatch(/embedded PostgreSQL 16 at postgres:\/\/root@127\.0\.0\.1:5432\//);
    expect(log).toContain('set DATABASE_URL or start PostgreSQL on 127.0.0.1:5432 for real use');
    expect(log).toMatch(/started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    expect(log).toContain('set REDIS_URL or start Redis on 127.0.0.1:6379 for real use');
    // The CLI finds the running server's servers here.
    const state = JSON.parse(readFileSync(join(dataDir, 'embedded.json'), 'utf8'));
    expect(state).toEqual({
      pid: server.child.pid,
      databaseUrl: expect.stringMatching(/^postgres:\/\//),
      redisUrl: expect.stringMatching(/^redis:\/\//),
    });
  });

  it('serves merchants created by the CLI: a signed GET of an unknown balance is a JSON 404, a transfer works', async () => {
    const m = await cli('merchants', 'create', '--name', 'Embedded Shop', '--json');
    expect(m.apiKey).toMatch(/^sk_test_/);
    const missing = await call(m, 'GET', '/api/v1/balance/x');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(missing.body.error).toMatchObject({
      code: 'not_found',
      requestId: expect.stringMatching(/^req_/),
    });

    const credit = await cli(
      'users',
      'credit',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      '--user',
      'fan',
      '--amount',
      '10',
      '--reason',
      'embedded e2e',
      '--json',
    );
    expect(credit).toMatchObject({ balance: '10.00' });
    // Concurrent transfers: the ledger's batches and the idempotency records on many connections.
    const transfers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(m, 'POST', '/api/v1/transfer', { fromUserId: 'fan', toUserId: `star${i % 3}`, amount: 0.25 }),
      ),
    );
    expect(transfers.map((t) => t.status)).toEqual(Array(10).fill(200));
    expect((await call(m, 'GET', '/api/v1/balance/fan')).body.balance).toBe(7.5);
  });

  it('stops on SIGTERM with exit code 0, stops its servers, and keeps the data for the next start', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(join(dataDir, 'embedded.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'postgres.lock'))).toBe(false);
    // PostgreSQL ended with a shutdown checkpoint (a crash would leave postmaster.pid and need recovery).
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(readFileSync(join(dataDir, 'postgres.log'), 'utf8')).toMatch(/database system is shut down\n$/);
    // With no server running, the CLI opens the embedded database itself.
    const list = await cli('merchants', 'list', '--json');
    expect(list.merchants.map((x: { name: string }) => x.name)).toEqual(['Embedded Shop']);
    expect(existsSync(join(dataDir, 'postgres.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);

  it('never falls back in production', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      ...env,
      NODE_ENV: 'production',
      MASTER_KEY: 'ab'.repeat(32),
      PORT: '0',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['EMBEDDED=always is refused when NODE_ENV=production']);
  });
});
