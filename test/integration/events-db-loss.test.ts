import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { injectTransfer } from '../helpers/inject.js';
import { eventually, startReceiver } from '../helpers/receiver.js';

// PostgreSQL ends every connection of the app (pg_terminate_backend, as in a failover) again and again while
// transfers commit and the worker relays and delivers their events: the process (API and worker in one) stays
// up, and every committed transfer's event reaches the merchant's endpoint. Delivery is at least once, so
// a duplicate after a lost connection is allowed here; a missing event is not.

let dbName = '';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const admin = new pg.Client({ connectionString: databaseUrl('postgres') });

beforeAll(async () => {
  dbName = await createTestDatabase();
  receiver = await startReceiver();
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await receiver?.close();
  if (dbName) await dropTestDatabase(dbName);
});

const TRANSFERS = 100;

async function killBackends(): Promise<number> {
  const r = await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [dbName],
  );
  return r.rowCount ?? 0;
}

/** A signed keyed transfer, retried with its key until it answers 200 (a killed connection answers 500). */
async function transfer(app: App, key: { apiKey: string; apiSecret: string }, i: number): Promise<string> {
  const body = { fromUserId: 'payer', toUserId: `payee${i % 5}`, amount: 1 };
  for (let attempt = 1; ; attempt++) {
    const res = await injectTransfer(app, key, body, { 'idempotency-key': `db-loss-${i}` });
    if (res.statusCode === 200) return res.json().id as string;
    expect([500, 503]).toContain(res.statusCode);
    if (attempt >= 20) throw new Error(`transfer ${i}: still ${res.statusCode} after ${attempt} attempts`);
  }
}

describe('PostgreSQL connections ended under the worker', () => {
  it('keeps the process up and delivers the event of every committed transfer', async () => {
    const app = await createApp({
      migrate: false,
      role: 'all',
      config: {
        databaseUrl: databaseUrl(dbName),
        redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        outboxPollMs: 200,
        webhookReconcileMs: 500,
        webhookRetryScheduleMs: [200, 400, 800, 1000, 1000, 1000, 1000, 1000],
      },
    });
    try {
      const m = await app.services.merchants.createMerchant('DB loss');
      const key = await app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 100_000 });
      await app.services.webhooks.create({ merchantId: m.id, mode: 'test' }, { url: receiver.url });
      await app.services.ledger.adjust(
        { merchantId: m.id, mode: 'test' },
        { userId: 'payer', amount: '1000', direction: 'credit', reason: 'fund', actor: 'test' },
      );
      const delivered = () =>
        new Set(
          receiver.received.filter((r) => r.json?.event === 'transfer.completed').map((r) => r.json.data.id),
        );
      const txIds: string[] = [];
      let kills = 0;
      for (let i = 0; i < TRANSFERS; i++) {
        // Every tenth transfer, once the events so far have started to arrive: kill every backend.
        if (i % 10 === 5 && (await killBackends()) > 0) kills += 1;
        txIds.push(await transfer(app, key, i));
      }
      // And while the last ones are still being relayed and delivered.
      if ((await killBackends()) > 0) kills += 1;
      await eventually(() => delivered().size >= TRANSFERS, 60_000, 100);
      expect(delivered()).toEqual(new Set(txIds));
      expect(kills).toBeGreaterThan(5);
    } finally {
      await app.stop();
    }
  });
});
