import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { redisConnectionName } from '../../src/lib/redis-name.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { injectTransfer } from '../helpers/inject.js';
import { untilPublished, untilWebhooksSettled } from '../helpers/outbox.js';
import { testPort } from '../helpers/ports.js';
import { startServer } from '../helpers/process.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

// Nothing is lost when Redis or a worker process dies: the outbox and the deliveries table are the truth.

let dbName = '';
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  dbName = await createTestDatabase();
  redis = await startPrivateRedis();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await redis?.stop();
  if (dbName) await dropTestDatabase(dbName);
});

async function merchantWithEndpoint(app: App) {
  const m = await app.services.merchants.createMerchant('Resilience');
  const key = await app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 100_000 });
  await app.services.webhooks.create({ merchantId: m.id, mode: 'test' }, { url: receiver.url });
  await app.services.ledger.adjust(
    { merchantId: m.id, mode: 'test' },
    { userId: 'payer', amount: '1000', direction: 'credit', reason: 'fund', actor: 'test' },
  );
  return key;
}

async function transfer(app: App, key: { apiKey: string; apiSecret: string }, i: number) {
  const res = await injectTransfer(app, key, { fromUserId: 'payer', toUserId: `payee${i % 5}`, amount: 1 });
  expect(res.statusCode).toBe(200);
  return res.json().id as string;
}

/** How many connections to the private Redis carry the name of the app with this prefix (CLIENT LIST). */
async function connectionsOf(prefix: string): Promise<number> {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const list = (await c.client('LIST')) as string;
    return list.split('\n').filter((l) => l.includes(` name=${redisConnectionName(prefix)} `)).length;
  } finally {
    c.disconnect();
  }
}

function transferEvents() {
  return receiver.received.filter((r) => r.json?.event === 'transfer.completed');
}

describe('resilience', () => {
  it('Redis stopped during 100 transfers, then started: all 100 events delivered, none twice', async () => {
    receiver.received.length = 0;
    const prefix = `novapay-test:${randomBytes(4).toString('hex')}`;
    const app = await createApp({
      migrate: false,
      role: 'all',
      config: {
        databaseUrl: databaseUrl(dbName),
        redisUrl: redis.url,
        redisPrefix: prefix,
        logLevel: 'silent',
        outboxPollMs: 200,
        webhookReconcileMs: 500,
        webhookRetryScheduleMs: [200, 400, 800, 1000, 1000, 1000, 1000, 1000],
        workerLockMs: 2000,
      },
    });
    try {
      const key = await merchantWithEndpoint(app);
      const txIds: string[] = [];
      for (let i = 0; i < 30; i++) txIds.push(await transfer(app, key, i));
      const connections = await connectionsOf(prefix);
      await redis.stop();
      for (let i = 30; i < 100; i++) txIds.push(await transfer(app, key, i)); // the ledger does not need Redis
      // Redis stays down until the relay has published every event (their live messages wait offline).
      await untilPublished(app.pool, key.merchantId);
      await redis.start();
      await eventually(() => new Set(transferEvents().map((r) => r.json.data.id)).size === 100, 60_000, 200);
      await untilWebhooksSettled(app.pool, key.merchantId); // no duplicate can arrive any more
      // Stop the app only once every connection it had is back: BullMQ's Worker.close() never returns while
      // its blocking connection is still reconnecting (taskforcesh/bullmq#4656), and shutting down right
      // after an outage is not what this test is about.
      await eventually(async () => (await connectionsOf(prefix)) >= connections, 30_000, 20);
      const byEvent = receiver.countsById();
      const dupes = [...byEvent.entries()].filter(([, n]) => n > 1);
      expect(dupes).toEqual([]);
      expect(new Set(transferEvents().map((r) => r.json.data.id))).toEqual(new Set(txIds));
    } finally {
      await app.stop();
    }
  });

  it('a worker process killed with SIGKILL mid-batch delivers every event after it restarts', {
    timeout: 150_000,
  }, async () => {
    receiver.received.length = 0;
    receiver.setResponder(() => 'hang', 150); // each delivery takes 150 ms, so the kill lands mid-batch
    const prefix = `novapay-test:${randomBytes(4).toString('hex')}`;
    const env = {
      DATABASE_URL: databaseUrl(dbName),
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      OUTBOX_POLL_MS: '200',
      WEBHOOK_RECONCILE_SECONDS: '0.5',
      WEBHOOK_RETRY_SCHEDULE: '200ms,400ms,800ms,1s,1s,1s',
      WEBHOOK_CONCURRENCY: '4',
      WORKER_LOCK_MS: '1500',
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
    };
    const api = await createApp({
      migrate: false,
      role: 'api',
      config: {
        databaseUrl: databaseUrl(dbName),
        redisUrl: redis.url,
        redisPrefix: prefix,
        logLevel: 'silent',
      },
    });
    const port = () => testPort();
    let worker = await startServer({ ...env, NODE_ENV: 'development' }, port()).then((w) => w);
    try {
      const key = await merchantWithEndpoint(api);
      const txIds: string[] = [];
      for (let i = 0; i < 60; i++) txIds.push(await transfer(api, key, i));
      await eventually(() => transferEvents().length >= 5, 20_000, 20);
      worker.child.kill('SIGKILL');
      await worker.exited;
      const before = new Set(transferEvents().map((r) => r.json.data.id)).size;
      expect(before).toBeLessThan(60);
      worker = await startServer({ ...env, NODE_ENV: 'development' }, port());
      await eventually(() => new Set(transferEvents().map((r) => r.json.data.id)).size === 60, 60_000, 200);
      expect(new Set(transferEvents().map((r) => r.json.data.id))).toEqual(new Set(txIds));
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await api.stop();
      receiver.setResponder(() => 200);
    }
  });
});
