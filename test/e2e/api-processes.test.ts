import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../helpers/app.js';
import { inProcessCliRunner } from '../helpers/cli-in-process.js';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX } from '../helpers/db.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { testPort } from '../helpers/ports.js';
import { startServer } from '../helpers/process.js';
import { eventually } from '../helpers/receiver.js';

// API_PROCESSES=2: two API processes share the port under one primary. Transfers through either commit
// exactly once, /metrics sums every process, a killed API process is replaced, and SIGTERM stops them all.
const dbName = scratchName(TEST_DB_PREFIX);
const port = testPort();
const METRICS_TOKEN = randomBytes(16).toString('hex');
const env = {
  DATABASE_URL: databaseUrl(dbName),
  REDIS_PREFIX: `novapay-cluster:${randomBytes(4).toString('hex')}`,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'development',
  TRON_DEVNET: 'off',
  EVM_DEVNET: 'off',
  API_PROCESSES: '2',
  METRICS_TOKEN,
};
let server: Awaited<ReturnType<typeof startServer>>;

// The CLI's commands set up the merchant in-process (test/e2e/server.test.ts spawns the CLI itself).
const cli = inProcessCliRunner(env);

/** The API processes: children of the server process (/proc's parent links). */
function apiProcesses(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === server.child.pid) out.push(Number(entry));
    } catch {} // exited meanwhile
  }
  return out;
}

async function metric(line: RegExp): Promise<number> {
  const scrape = () =>
    fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}`, connection: 'close' },
    });
  let res = await scrape();
  // A process that did not answer in time (a loaded host) makes the scrape a 503, which a scraper retries at
  // its next interval: so does this, twice.
  for (let i = 0; i < 2 && res.status === 503; i++) res = await scrape();
  const text = await res.text();
  // A scrape that failed is not a count of 0: say what it answered.
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${text.slice(0, 300)}`);
  const found = text.split('\n').find((l) => line.test(l));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

beforeAll(async () => {
  server = await startServer(env, port);
});

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  for (const pid of server ? apiProcesses() : []) process.kill(pid, 'SIGKILL');
  await dropTestDatabase(dbName);
});

describe('API_PROCESSES=2', () => {
  it("serves transfers through the shared port, sums the processes' metrics, replaces a killed one, and stops on SIGTERM", async () => {
    await eventually(() => apiProcesses().length === 2, 60_000);
    const m = await cli('merchants', 'create', '--name', 'Cluster', '--rate-limit', '1000000', '--json');
    await cli(
      ...['users', 'credit', '--merchant', m.merchantId, '--mode', 'test', '--user', 'payer'],
      ...['--amount', '1000', '--reason', 'cluster', '--json'],
    );
    // A new connection each time: the primary hands connections to the processes in turn.
    const transfer = async (i: number) => {
      const body = JSON.stringify({ fromUserId: 'payer', toUserId: `u${i % 7}`, amount: '1.00' });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/transfer`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          connection: 'close',
          'idempotency-key': `cluster-${i}`,
          'x-api-key': m.apiKey,
          'x-signature': sign(m.apiSecret, body),
        },
        body,
      });
      return res.status;
    };
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => transfer(i)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Every process's requests are in the one scrape: 40 transfers, whichever process served them.
    expect(
      await metric(
        /^novapay_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/transfer",status="200"\}/,
      ),
    ).toBe(40);
    // The same keys again: answered from the idempotency records, nothing moves twice.
    expect(await Promise.all(Array.from({ length: 40 }, (_, i) => transfer(i)))).toEqual(statuses);
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    pool.on('error', () => undefined); // an idle client whose backend ended: replaced, not an uncaught error
    try {
      const n = await pool.query(
        `select count(*)::int as n from ledger_transactions where type = 'transfer'`,
      );
      expect(n.rows[0].n).toBe(40);
      await checkLedgerInvariants(pool);
    } finally {
      await pool.end();
    }

    const [victim] = apiProcesses();
    process.kill(victim!, 'SIGKILL');
    await eventually(() => {
      const now = apiProcesses();
      return now.length === 2 && !now.includes(victim!);
    }, 60_000);
    await eventually(async () => (await transfer(100).catch(() => 0)) === 200, 60_000);

    const children = apiProcesses();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(children.filter((pid) => readdirSync('/proc').includes(String(pid)))).toEqual([]);
    // The only error logged is the one this test caused: the killed process, replaced.
    const errors = server
      .output()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l))
      .map((l) => JSON.parse(l).msg);
    expect(errors).toEqual(['an API process exited; starting another in its place']);
  }, 150_000);
});
