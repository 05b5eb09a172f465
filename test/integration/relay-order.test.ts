import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBatchedRedisEventTarget,
  OutboxRelay,
  type PubSub,
  type Topics,
} from '../../src/modules/events/index.js';
import type { TestMerchant } from '../helpers/app.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';
import { eventually } from '../helpers/receiver.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { liveChannel } from '../helpers/ws.js';

// Several workers run an outbox relay each (docs/deployment.md: `--scale worker=3`). A user's balances and
// history rows and a stream's donations reached subscribers out of order, and `balanceUpdated` (latest wins)
// ended on an older balance than the ledger's. Measured against a real server with two workers (OUTBOX_BATCH_SIZE=1): 63 of 192
// donations out of place, and the wallet's last balance 1.91 where the ledger said 1.92. Two causes:
// - passes ran side by side (SKIP LOCKED): while one pass was between its claim and its publish, another
//   claimed the next events and published them first;
// - a pass committed before Redis had its messages: each worker publishes on its own connection, one call at
//   a time, so a worker whose previous call was unanswered sent its pass's messages after the next pass's.

const t = useTestApp({}, { role: 'api' }); // no relay of its own: the tests run two
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

const SQL_LOCK_WAITERS = `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;

function relay(pubsub: PubSub, fanOut: () => Promise<void>, liveFlushed?: () => Promise<void>) {
  return new OutboxRelay({
    pool: t.app.pool,
    databaseUrl: t.app.config.databaseUrl,
    pubsub,
    ...(liveFlushed ? { liveFlushed } : {}),
    fanOut,
    log: capturedLog().log,
    batchSize: 1,
    pollMs: 60_000,
    coalesceMs: 0,
  });
}

/** Three credits of "fan" (1, 2, 3): balances 1.00, 3.00, 6.00, their events not yet published. */
async function threeCredits(m: TestMerchant) {
  for (const amount of ['1', '2', '3'])
    await t.app.services.ledger.adjust(
      { merchantId: m.merchantId, mode: m.mode },
      { userId: 'fan', amount, direction: 'credit', reason: 'order', actor: 'test' },
    );
}

async function redisClient(): Promise<Redis> {
  const c = new Redis(redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  clients.push(c);
  await c.connect();
  return c;
}

/** A worker's live messages: its own publish connection to the private Redis, as app.ts makes them. */
async function workerPubSub() {
  const publishClient = await redisClient();
  const target = createBatchedRedisEventTarget({
    publishClient,
    subscribeClient: await redisClient(),
    log: capturedLog().log,
    prefix: t.app.config.redisPrefix,
  });
  return {
    publishClient,
    pubsub: createPubSub<Topics>({ eventTarget: target }),
    flushed: () => target.flushed(),
  };
}

describe('two outbox relays', () => {
  it("publish one user's balances in the ledger's order while a pass of one is slow", async () => {
    const m = await t.merchant();
    await threeCredits(m);
    const published: string[] = [];
    const pubsub = {
      publish: (topic: string, _key: string, payload: { balance?: string }) => {
        if (topic === 'balance') published.push(payload.balance!);
      },
    } as unknown as PubSub;
    let slowPasses = 1;
    let aClaimed = false;
    let bPublished = false;
    // A's first pass is slow between its claim and its publish: it waits until B has published, or B waits for it.
    const a = relay(pubsub, async () => {
      if (slowPasses-- <= 0) return;
      aClaimed = true;
      await eventually(
        async () => bPublished || (await t.app.pool.query<{ n: number }>(SQL_LOCK_WAITERS)).rows[0]!.n > 0,
        10_000,
        10,
      );
    });
    const b = relay(pubsub, async () => undefined);
    const first = a.publishBatch();
    await eventually(() => aClaimed);
    while ((await b.publishBatch()) > 0) bPublished = true;
    await first;
    while ((await a.publishBatch()) > 0) {}
    expect(published).toEqual(['1.00', '3.00', '6.00']);
  });

  it("publish one user's balances in the ledger's order while one worker's Redis call is unanswered", async () => {
    const m = await t.merchant();
    await threeCredits(m);
    const listener = await redisClient();
    const heard: string[] = [];
    listener.on('message', (_channel, text) => heard.push(JSON.parse(text).balance));
    await listener.subscribe(liveChannel(t.app, 'balance', m, 'fan'));
    const wa = await workerPubSub();
    const wb = await workerPubSub();
    const a = relay(wa.pubsub, async () => undefined, wa.flushed);
    const b = relay(wb.pubsub, async () => undefined, wb.flushed);
    // Redis busy for a moment (a script of 300 ms, sent on worker A's connection), and a live message of
    // worker A behind it on the same connection: A's next messages wait for its answer.
    const busy = wa.publishClient.eval(
      `local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2]
       repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - t0 > 300000 return 1`,
      0,
    );
    wa.pubsub.publish('balance', 'another:test:user', {
      userId: 'user',
      balance: '0.00',
      transactionId: 'tx_0',
      updatedAt: new Date().toISOString(),
    });
    expect(await a.publishBatch()).toBe(1);
    while ((await b.publishBatch()) > 0) {}
    await busy;
    await eventually(() => heard.length === 3);
    expect(heard).toEqual(['1.00', '3.00', '6.00']);
  });
});
