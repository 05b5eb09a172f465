import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { answers } from '../../src/dev/embedded.js';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres.js';
import { alive } from '../../src/dev/embedded-state.js';
import { sign } from '../helpers/app.js';
import { startTestPostgres } from '../helpers/embedded-db.js';

// The embedded PostgreSQL (src/dev/embedded-postgres.ts) that `npm start` falls back to, and that the test
// run starts when no PostgreSQL answers (test/helpers/global-setup.ts). The machine's own PostgreSQL
// answers here, so this file starts one itself, on a port that is taken: it must move to a free one.

let busy: Server;
let busyPort: number;
let embedded: Awaited<ReturnType<typeof startTestPostgres>>;

/** The process group of a process (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
  embedded = await startTestPostgres(`postgres://root@127.0.0.1:${busyPort}/postgres`);
});

afterAll(async () => {
  await embedded?.close();
  busy?.close();
});

describe('the embedded PostgreSQL', () => {
  it('starts on a free port when the wanted one is taken, outside our process group, as a real PostgreSQL 16', async () => {
    const url = new URL(embedded.url);
    expect(url.port).not.toBe(String(busyPort));
    expect([url.hostname, url.username, url.pathname, url.password]).toEqual([
      '127.0.0.1',
      'root',
      '/postgres',
      '',
    ]);
    expect(embedded.initialised).toBe(true);
    // Ctrl-C signals the terminal's process group: PostgreSQL must not stop before our graceful shutdown.
    expect(processGroup(embedded.pid)).not.toBe(processGroup(process.pid));
    const c = new pg.Client({ connectionString: embedded.url });
    await c.connect();
    try {
      const v = await c.query<{ server_version_num: string }>('show server_version_num');
      expect(v.rows[0]!.server_version_num).toMatch(/^16\d{4}$/);
    } finally {
      await c.end();
    }
  });

  it('serves many sessions at once: one holds a transaction and a lock while another works', async () => {
    const a = new pg.Client({ connectionString: embedded.url });
    const b = new pg.Client({ connectionString: embedded.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('create table if not exists t_sessions (id int primary key)');
      await a.query('begin');
      await a.query('insert into t_sessions values (1)');
      await a.query('select pg_advisory_lock(42)');
      // Another session is not queued behind that transaction, and the lock is really held.
      const locked = await b.query<{ got: boolean }>('select pg_try_advisory_lock(42) as got');
      expect(locked.rows[0]!.got).toBe(false);
      // The same named prepared statement on two connections (each session has its own).
      const q = { name: 'embedded_count', text: 'select count(*)::int as n from t_sessions' };
      expect((await a.query(q)).rows[0].n).toBe(1);
      expect((await b.query(q)).rows[0].n).toBe(0);
      await a.query('commit');
      expect((await b.query(q)).rows[0].n).toBe(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('runs the migrations and a signed transfer through the app', async () => {
    const databaseUrl = new URL(embedded.url);
    databaseUrl.pathname = '/novapay_embedded';
    const app = await createApp({
      role: 'api',
      config: {
        databaseUrl: databaseUrl.toString(),
        redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        dbPoolSize: 8,
        tron: { ...loadConfig().tron, devnet: 'off' },
        evm: { ...loadConfig().evm, devnet: 'off' },
      },
    });
    try {
      const m = await app.services.merchants.createMerchant('Embedded Shop');
      const k = await app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 1000 });
      await app.services.ledger.adjust(
        { merchantId: m.id, mode: 'test' },
        { userId: 'fan', amount: '10', direction: 'credit', reason: 'test funding', actor: 'test' },
      );
      const payload = JSON.stringify({ fromUserId: 'fan', toUserId: 'star', amount: 2.5 });
      const res = await app.server.inject({
        method: 'POST',
        url: '/api/v1/transfer',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-api-key': k.apiKey,
          'x-signature': sign(k.apiSecret, payload),
        },
        remoteAddress: '127.0.0.1',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ fromBalance: 7.5, toBalance: 2.5 });
    } finally {
      await app.stop();
    }
  });

  it('stops cleanly, keeps the data for the next start, and stops a server left running on its folder', async () => {
    const { pid, url } = embedded;
    await embedded.stop();
    expect(alive(pid)).toBe(false);
    expect(await answers(url)).toBe(false);
    expect(readFileSync(embedded.logFile, 'utf8')).toMatch(
      /received fast shutdown request[\s\S]*database system is shut down/,
    );

    // The same folder again: no initdb, the transfer's balances are there.
    const options = {
      dir: embedded.dir,
      url: `postgres://root@127.0.0.1:${busyPort}/postgres`,
      logFile: embedded.logFile,
    };
    const first = await startEmbeddedPostgres(options);
    expect(first.initialised).toBe(false);
    const c = new pg.Client({ connectionString: first.url.replace(/\/postgres$/, '/novapay_embedded') });
    await c.connect();
    const balances = await c.query('select count(*)::int as n from ledger_entries');
    await c.end();
    expect(balances.rows[0].n).toBeGreaterThan(0);

    // An owner killed without stopping its server (SIGKILL, a closed terminal) leaves it running on the
    // folder: the next start stops that one and starts its own.
    const second = await startEmbeddedPostgres(options);
    expect(alive(first.pid)).toBe(false);
    expect(second.pid).not.toBe(first.pid);
    expect(await answers(second.url)).toBe(true);
    await second.close();
    await first.close(); // already gone: nothing to do
    expect(alive(second.pid)).toBe(false);
  });
});
