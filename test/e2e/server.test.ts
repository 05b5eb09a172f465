import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCliRunner, runCliInProcess } from '../helpers/cli-in-process.js';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX } from '../helpers/db.js';
import { testPort } from '../helpers/ports.js';
import { run, startServer } from '../helpers/process.js';
import { signedCaller } from '../helpers/server-client.js';

// The running server as a merchant meets it: its own process, real sockets, the CLI beside it. The CLI's
// entry point runs as its own process (`npm run cli`, a success and a usage error); the other commands run
// in-process, the same program with the same environment, output and exit code, without seconds of start-up
// each.
const dbName = scratchName(TEST_DB_PREFIX);
const port = testPort();
const env = {
  DATABASE_URL: databaseUrl(dbName),
  REDIS_PREFIX: `novapay-e2e:${randomBytes(4).toString('hex')}`,
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
};
let server: Awaited<ReturnType<typeof startServer>>;

const cli = inProcessCliRunner(env);
const call = signedCaller(port);

beforeAll(async () => {
  server = await startServer(env, port);
});

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await dropTestDatabase(dbName);
});

describe('the running server', () => {
  it('creates its database and serves /healthz and /readyz', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    // With the devnets of development, each chain's scanner is a check of its own (not stalled).
    const scanners = ['TRC20:test', 'TRC20:live', 'ERC20:test', 'BEP20:test', 'POLYGON:test'];
    expect(ready).toEqual({
      status: 'ready',
      checks: {
        postgres: true,
        redis: true,
        migrations: true,
        ...Object.fromEntries(scanners.map((c) => [`scanner:${c}`, true])),
      },
    });
  });

  it('works end to end with keys from the CLI, which prints exactly one JSON object', async () => {
    const created = await run(
      'npm',
      [
        'run',
        '--silent',
        'cli',
        '--',
        'merchants',
        'create',
        '--name',
        'E2E Shop',
        '--mode',
        'live',
        '--json',
      ],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout.trim().split('\n')).toHaveLength(1);
    const m = JSON.parse(created.stdout);
    expect(Object.keys(m).sort()).toEqual(['apiKey', 'apiSecret', 'merchantId', 'mode']);
    expect(m.apiKey).toMatch(/^sk_live_/);

    const missing = await call(m, 'GET', '/api/v1/balance/x');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
    expect(missing.headers.get('x-request-id')).toBe(missing.body.error.requestId);

    const credit = await cli(
      'users',
      'credit',
      '--merchant',
      m.merchantId,
      '--mode',
      'live',
      '--user',
      'fan',
      '--amount',
      '75.50',
      '--reason',
      'e2e',
      '--json',
    );
    expect(credit).toMatchObject({ userId: 'fan', amount: '75.50', balance: '75.50' });
    const t = await call(m, 'POST', '/api/v1/transfer', {
      fromUserId: 'fan',
      toUserId: 'star',
      amount: 0.5,
      metadata: { streamId: 's' },
    });
    expect(t.body).toMatchObject({ status: 'completed', amount: 0.5, fromBalance: 75, toBalance: 0.5 });

    const { token } = await cli('admin', 'token', '--json');
    const gql = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect((await gql.json()).data).toEqual({ __typename: 'Query' });
  });

  it('drops a key revoked from the CLI at once, and rotation hands over to the new key', {
    timeout: 180_000,
  }, async () => {
    const m = await cli('merchants', 'create', '--name', 'Rotating', '--json');
    const keys = await cli('keys', 'list', '--merchant', m.merchantId, '--json');
    const keyId = keys.keys[0].keyId;
    expect((await call(m, 'GET', '/api/v1/balance/x')).status).toBe(404); // now cached by the server
    const rotated = await cli('keys', 'rotate', keyId, '--json');
    expect(rotated.revokedKeyId).toBe(keyId);
    let status = 0;
    for (let i = 0; i < 20 && status !== 401; i++) {
      status = (await call(m, 'GET', '/api/v1/balance/x')).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    expect((await call(rotated, 'GET', '/api/v1/balance/x')).status).toBe(404);
  });

  it("makes X-Timestamp mandatory for a merchant's keys with `merchants settings`", async () => {
    const m = await cli('merchants', 'create', '--name', 'Strict', '--json');
    const set = await cli(
      'merchants',
      'settings',
      '--merchant',
      m.merchantId,
      '--require-timestamp',
      'true',
      '--json',
    );
    expect(set).toMatchObject({
      merchantId: m.merchantId,
      settings: { requireTimestamp: true, starsPerUsdt: '1' },
    });
    // The server has not seen this key yet, so it reads the setting now.
    const [unsigned, bad] = await Promise.all([
      call(m, 'GET', '/api/v1/balance/x'),
      run(
        'npm',
        [
          'run',
          '--silent',
          'cli',
          '--',
          'merchants',
          'settings',
          '--merchant',
          m.merchantId,
          '--require-timestamp',
          'maybe',
        ],
        env,
      ),
    ]);
    expect([unsigned.status, unsigned.body.error.code]).toEqual([401, 'timestamp_out_of_range']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must be true or false/);
  });

  it("lists keys' requireTimestamp, and says where adjustments take Stars from and to", async () => {
    const m = await cli('merchants', 'create', '--name', 'Adjusted', '--require-timestamp', '--json');
    const help = (cmd: string) =>
      runCliInProcess(['users', cmd, '--help'], env).then((r) => r.stdout.replace(/\s+/g, ' '));
    const [keys, debitHelp, creditHelp] = await Promise.all([
      cli('keys', 'list', '--merchant', m.merchantId, '--json'),
      help('debit'),
      help('credit'),
      cli(
        'users',
        'credit',
        '--merchant',
        m.merchantId,
        '--mode',
        'test',
        '--user',
        'u',
        '--amount',
        '1',
        '--reason',
        'e2e',
        '--json',
      ),
    ]);
    expect(keys.keys.map((k: { requireTimestamp: boolean }) => k.requireTimestamp)).toEqual([true]);
    expect(debitHelp).toMatch(/the Stars go to the merchant's adjustments account/);
    expect(creditHelp).toMatch(/the Stars come from the merchant's adjustments account/);
    const debit = await runCliInProcess(
      [
        'users',
        'debit',
        '--merchant',
        m.merchantId,
        '--mode',
        'test',
        '--user',
        'u',
        '--amount',
        '2',
        '--reason',
        'e2e',
        '--json',
      ],
      env,
    );
    expect(debit.code).toBe(1);
    expect(debit.stderr).toContain('error: The paying user does not have enough Stars\n');
  });

  it('manages webhook endpoints from the CLI', async () => {
    const m = await cli('merchants', 'create', '--name', 'Hooks', '--json');
    const created = await cli(
      'webhooks',
      'create',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      '--url',
      'http://127.0.0.1:9/hook',
      '--event',
      'transfer.completed',
      '--json',
    );
    expect(created).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['transfer.completed'] });
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const [listed, refused] = await Promise.all([
      cli('webhooks', 'list', '--merchant', m.merchantId, '--mode', 'test', '--json'),
      runCliInProcess(
        ['webhooks', 'create', '--merchant', m.merchantId, '--mode', 'test', '--url', 'ftp://x', '--json'],
        env,
      ),
    ]);
    expect(listed.endpoints).toEqual([
      expect.objectContaining({ endpointId: created.endpointId, enabled: true }),
    ]);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, 'error: url must be http or https']);
    const deleted = await cli(
      'webhooks',
      'delete',
      '--merchant',
      m.merchantId,
      '--mode',
      'test',
      created.endpointId,
      '--json',
    );
    expect(deleted).toEqual({ endpointId: created.endpointId, deleted: true });
  });

  it('refuses invalid configuration with one clear line and exit code 1', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { ...env, PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'invalid configuration: PORT: Invalid input: expected number, received NaN',
    ]);
  });

  it('names PostgreSQL and Redis, without passwords, when Redis does not answer at start-up', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      ...env,
      PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_URL: 'redis://:redis-secret@127.0.0.1:1',
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^could not start: .+ \(is PostgreSQL running at postgres:\/\/.+ and Redis at redis:\/\/127\.0\.0\.1:1\? see README\)$/,
    );
    expect(r.stderr).not.toContain('redis-secret');
  });

  it('stops on SIGTERM with exit code 0', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
