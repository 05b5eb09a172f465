import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { sign } from '../helpers/app.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { testPort } from '../helpers/ports.js';
import { startServer } from '../helpers/process.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

// Faults under load: a server killed with SIGKILL in the middle of a stream of transfers, and a Redis that
// loses all its data while events flow. Nothing acknowledged is lost, a client that retries with its
// Idempotency-Key gets exactly one transfer, and delivery resumes by itself.

let dbName = '';
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let setup: App;

beforeAll(async () => {
  dbName = await createTestDatabase();
  redis = await startPrivateRedis();
  setup = await createApp({
    migrate: false,
    role: 'api',
    config: { databaseUrl: databaseUrl(dbName), redisUrl: redis.url, logLevel: 'silent' },
  });
});
afterAll(async () => {
  await setup?.stop();
  await redis?.stop();
  if (dbName) await dropTestDatabase(dbName);
});

async function fundedKey(amount: string) {
  const m = await setup.services.merchants.createMerchant(`Faults ${randomBytes(2).toString('hex')}`);
  const key = await setup.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 1_000_000 });
  await setup.services.ledger.adjust(
    { merchantId: m.id, mode: 'test' },
    { userId: 'payer', amount, direction: 'credit', reason: 'fund', actor: 'test' },
  );
  return { ...key, merchantId: m.id };
}

interface Attempt {
  key: string;
  body: string;
  status?: number;
  id?: string;
  error?: string;
}

async function send(port: number, k: { apiKey: string; apiSecret: string }, a: Attempt): Promise<void> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/transfer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': a.key,
        'x-api-key': k.apiKey,
        'x-signature': sign(k.apiSecret, a.body),
      },
      body: a.body,
      signal: AbortSignal.timeout(15_000),
    });
    a.status = res.status;
    a.error = undefined;
    const json = (await res.json()) as { id?: string };
    if (res.status === 200) a.id = json.id;
  } catch (err) {
    a.status = undefined;
    a.error = String((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
  }
}

describe('faults under load', () => {
  it('SIGKILL under transfer load: every 200 is kept, and retries with the same key make exactly one transfer each', {
    timeout: 180_000,
  }, async () => {
    const k = await fundedKey('100000');
    const env = {
      DATABASE_URL: databaseUrl(dbName),
      REDIS_URL: redis.url,
      REDIS_PREFIX: `novapay-faults:${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'development',
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
      // A claim left by the killed process is taken over by a retry after this long (the minimum).
      IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: '5',
    };
    const port = testPort();
    let server = await startServer(env, port, ['--role', 'api']);
    const attempts: Attempt[] = [];
    let stop = false;
    let n = 0;
    const workers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const i = n++;
        const a: Attempt = {
          key: `kill-${i}`,
          body: JSON.stringify({
            fromUserId: 'payer',
            toUserId: `u${i % 30}`,
            amount: '0.01',
            description: `kill-${i}`,
          }),
        };
        attempts.push(a);
        await send(port, k, a);
        if (a.error) return; // the server is gone: this worker stops
      }
    });
    await eventually(() => attempts.filter((a) => a.status === 200).length >= 200, 30_000, 10);
    server.child.kill('SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(workers);
    const acknowledged = attempts.filter((a) => a.status === 200).map((a) => a.id!);
    const cutOff = attempts.filter((a) => a.status !== 200);
    expect(cutOff.every((a) => a.error !== undefined || a.status === 503)).toBe(true);

    // Nothing acknowledged was lost, and the books balance before anyone retries.
    await checkLedgerInvariants(setup.pool, { merchantId: k.merchantId, acknowledged });

    // The client retries what it did not get an answer for, with the same key and body, on a new process.
    server = await startServer(env, port, ['--role', 'api']);
    try {
      for (const a of cutOff) {
        await eventually(
          async () => {
            await send(port, k, a);
            return a.status === 200;
          },
          30_000,
          250,
        );
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const all = attempts.map((a) => a.id!);
    await checkLedgerInvariants(setup.pool, { merchantId: k.merchantId, acknowledged: all });
    const byDescription = await setup.pool.query<{ description: string; n: number }>(
      `select description, count(*)::int as n from ledger_transactions
       where merchant_id = $1 and type = 'transfer' group by description`,
      [k.merchantId],
    );
    expect(byDescription.rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(byDescription.rows.length).toBe(attempts.length);
  });

  it('Redis loses all its data while events flow: every transfer is delivered, with no help', {
    timeout: 120_000,
  }, async () => {
    const receiver = await startReceiver();
    const app = await createApp({
      migrate: false,
      role: 'all',
      config: {
        databaseUrl: databaseUrl(dbName),
        redisUrl: redis.url,
        redisPrefix: `novapay-flush:${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        // The reconciler's interval is what bounds the recovery time; a minute would make a slow test.
        webhookReconcileMs: 1000,
      },
    });
    try {
      const k = await fundedKey('1000');
      await app.services.webhooks.create({ merchantId: k.merchantId, mode: 'test' }, { url: receiver.url });
      receiver.setResponder(() => 'hang', 50);
      const ids: string[] = [];
      for (let i = 0; i < 80; i++) {
        if (i === 40) await redis.flushAll();
        const body = JSON.stringify({ fromUserId: 'payer', toUserId: `f${i % 7}`, amount: 1 });
        const res = await app.server.inject({
          method: 'POST',
          url: '/api/v1/transfer',
          payload: body,
          headers: {
            'content-type': 'application/json',
            'x-api-key': k.apiKey,
            'x-signature': sign(k.apiSecret, body),
          },
        });
        expect(res.statusCode).toBe(200);
        ids.push(res.json().id);
      }
      receiver.setResponder(() => 200);
      const delivered = () =>
        new Set(
          receiver.received.filter((r) => r.json?.event === 'transfer.completed').map((r) => r.json.data.id),
        );
      await eventually(() => delivered().size === ids.length, 90_000, 200);
      expect(delivered()).toEqual(new Set(ids));
      await checkLedgerInvariants(app.pool, { merchantId: k.merchantId, acknowledged: ids });
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
