import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX, withAdmin } from '../helpers/db.js';
import { testPort } from '../helpers/ports.js';
import { run, startNpmServer } from '../helpers/process.js';
import { eventually } from '../helpers/receiver.js';
import { cliRunner, type SignedKey, signedCaller } from '../helpers/server-client.js';

// A newcomer's first day: `npm start` (the README's command) on a database that does not exist yet and an
// empty DATA_DIR, with the in-process devnets, then the README's walk-through over HTTP and the CLI, a real
// TRC20 and ERC20 deposit paid with simulateDeposit, and `chain rescan` against the server's devnets. Every
// setting is the shipped default but the devnets' block time (documented for devnets), so confirmations
// come in seconds. From start to stop the server logs nothing at warn level or above.
const dbName = scratchName(TEST_DB_PREFIX);
const dataDir = mkdtempSync(join(tmpdir(), 'novapay-fresh-'));
const port = testPort();
const env = {
  DATABASE_URL: databaseUrl(dbName),
  REDIS_PREFIX: `novapay-fresh:${randomBytes(4).toString('hex')}`,
  DATA_DIR: dataDir,
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  TRON_DEVNET_BLOCK_MS: '200',
  EVM_DEVNET_BLOCK_MS: '200',
};
const cli = cliRunner(env);
const call = signedCaller(port);
let server: Awaited<ReturnType<typeof startNpmServer>>;

beforeAll(async () => {
  server = await startNpmServer(env, port, 90_000);
}, 100_000);

afterAll(async () => {
  if (server?.child.exitCode === null) server.signal('SIGKILL');
  await dropTestDatabase(dbName);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Lines at warn (40) or above, and anything that is neither npm's banner nor a JSON log line. */
function badLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (line.trim() === '' || line.startsWith('> ')) return false;
    try {
      return (JSON.parse(line) as { level: number }).level >= 40;
    } catch {
      return true;
    }
  });
}

async function gql(key: SignedKey, query: string, variables: Record<string, unknown>) {
  const r = await call(key, 'POST', '/graphql', { query, variables });
  expect(r.status).toBe(200);
  return r.body.data;
}

const SIMULATE =
  'mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ... on SimulatedPayment { txHash } ... on Error { code message } } }';

/** A deposit of `amount` USDT on `network`, paid on the devnet, until it is confirmed. */
async function depositPaid(key: SignedKey, network: string, userId: string, amount: number) {
  const created = await call(key, 'POST', '/api/v1/deposit/create', {
    userId,
    amount,
    currency: 'USDT',
    network,
  });
  expect(created.status).toBe(200);
  const paid = await gql(key, SIMULATE, { id: created.body.id });
  expect(paid.simulateDeposit.__typename).toBe('SimulatedPayment');
  await eventually(
    async () => (await call(key, 'GET', `/api/v1/deposit/${created.body.id}`)).body.status === 'confirmed',
    40_000,
    250,
  );
  return paid.simulateDeposit.txHash as string;
}

// The first two run side by side; the stop comes after both.
describe.concurrent('a fresh npm start', () => {
  it('runs the walk-through and credits TRC20 and ERC20 deposits; chain rescan reaches its devnets', {
    timeout: 120_000,
  }, async () => {
    // 1. A merchant and its key, from the CLI.
    const m = await cli('merchants', 'create', '--name', 'My Shop', '--mode', 'test', '--json');
    expect(m.apiKey).toMatch(/^sk_test_/);
    // 2. Stars for a user, then 3. the balance and 4. a transfer, as the README shows them; meanwhile
    // deposits on both devnets, paid for real and credited after their confirmations.
    const walkThrough = async () => {
      const credit = await cli(
        ...['users', 'credit', '--merchant', m.merchantId, '--mode', 'test', '--user', 'user_8a2f'],
        ...['--amount', '100', '--reason', 'welcome bonus', '--json'],
      );
      expect(credit).toMatchObject({ userId: 'user_8a2f', amount: '100.00', balance: '100.00' });
      const balance = await call(m, 'GET', '/api/v1/balance/user_8a2f');
      expect(balance.body).toMatchObject({ userId: 'user_8a2f', balance: 100, currency: 'Stars' });
      const transfer = await call(m, 'POST', '/api/v1/transfer', {
        fromUserId: 'user_8a2f',
        toUserId: 'user_3b1c',
        amount: 50,
        description: 'Donation',
        metadata: { streamId: 'stream_123' },
      });
      expect(transfer.body).toMatchObject({
        status: 'completed',
        amount: 50,
        fromBalance: 50,
        toBalance: 50,
      });
    };
    const [, tronTx, evmTx] = await Promise.all([
      walkThrough(),
      depositPaid(m, 'TRC20', 'payer_tron', 25),
      depositPaid(m, 'ERC20', 'payer_evm', 12.5),
    ]);
    expect(tronTx).toMatch(/^[0-9a-f]{64}$/);
    expect(evmTx).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await call(m, 'GET', '/api/v1/balance/payer_tron')).body.balance).toBe(25);
    expect((await call(m, 'GET', '/api/v1/balance/payer_evm')).body.balance).toBe(12.5);

    // The documented rescan, against the chains of the running server: it finds each payment again and
    // credits nothing twice.
    const rescan = (network: string) =>
      cli('chain', 'rescan', '--network', network, '--mode', 'test', '--from', '0', '--json');
    const [tron, evm] = await Promise.all([rescan('TRC20'), rescan('ERC20')]);
    expect(tron).toMatchObject({ chain: 'TRC20:test', from: 0, transfers: 1, credited: 0 });
    expect(evm).toMatchObject({ chain: 'ERC20:test', from: 0, transfers: 1, credited: 0 });
    expect((await call(m, 'GET', '/api/v1/balance/payer_tron')).body.balance).toBe(25);
  });

  it('refuses a second start on the same port in one error line, before starting anything', async () => {
    const other = scratchName(TEST_DB_PREFIX);
    const r = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      ...env,
      DATABASE_URL: databaseUrl(other),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'novapay-port-')),
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    expect(r.code).toBe(1);
    const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 50,
      port,
      msg: `could not start: port ${port} on 127.0.0.1 is already in use (set PORT)`,
    });
    const created = await withAdmin((c) => c.query('select 1 from pg_database where datname = $1', [other]));
    expect(created.rowCount).toBe(0); // nothing was started: not even its database
  });
});

describe('stopping it', () => {
  it('stops on SIGTERM (to its process group, as Ctrl-C does), having logged no warning or error', async () => {
    server.signal('SIGTERM');
    await server.gone;
    expect(server.output()).toContain('"msg":"stopped"}');
    expect(server.output()).not.toContain('shutdown timed out');
    expect(badLines(server.output())).toEqual([]);
  });
});
