import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createBatchedRedisEventTarget, liveChannelName } from '../../src/modules/events/index.js';

// The live events' batched publishing against a real Redis: what a subscriber receives is what yoga's own
// target would deliver (the same channels and JSON, in publish order), also after Redis lost its scripts.

type T = {
  balance: [key: string, payload: { n: number; text?: string }];
  event: [key: string, payload: unknown];
};

describe('batched Redis event target', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    clients.push(c);
    return c;
  };
  const tag = `rt-${process.pid}-${Date.now()}`;
  const PREFIX = `novapay-test:${tag}`;
  const channel = (topicAndKey: string) => liveChannelName(PREFIX, topicAndKey);
  let pubsub: ReturnType<typeof createPubSub<T>>;

  beforeAll(async () => {
    const [pub, sub] = [client(), client()];
    await Promise.all([pub.connect(), sub.connect()]);
    const eventTarget = createBatchedRedisEventTarget({
      publishClient: pub,
      subscribeClient: sub,
      log: createLogger('silent'),
      prefix: PREFIX,
    });
    pubsub = createPubSub<T>({ eventTarget });
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });

  /** Collects `count` messages of a subscription. */
  async function take(topic: keyof T, key: string, count: number) {
    const subscribe = pubsub.subscribe as (topic: string, key: string) => AsyncIterable<unknown>;
    const it = subscribe(topic, key)[Symbol.asyncIterator]();
    const out: unknown[] = [];
    const done = (async () => {
      while (out.length < count) out.push((await it.next()).value);
      await it.return?.();
    })();
    return { out, done };
  }

  /** Waits until Redis counts `n` subscribers on the channel (SUBSCRIBE is asynchronous). */
  async function subscribed(channel: string, n = 1) {
    const admin = client();
    await admin.connect();
    for (;;) {
      const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
      if (count >= n) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  it('delivers one tick of publishes across channels, each channel in order, the JSON unchanged', async () => {
    const a = await take('balance', `${tag}:a`, 300);
    const b = await take('event', `${tag}:b`, 300);
    await subscribed(channel(`balance:${tag}:a`));
    await subscribed(channel(`event:${tag}:b`));
    // 1,200 messages in one tick: more than one script call, and 600 to channels nobody listens to.
    for (let n = 0; n < 300; n++) {
      pubsub.publish('balance', `${tag}:a`, { n, text: `é "quoted" \u0000 ${n}` });
      pubsub.publish('event', `${tag}:b`, { n, nested: { big: '123456789012345678901234567890' } });
      pubsub.publish('balance', `${tag}:nobody`, { n });
      pubsub.publish('event', `${tag}:nobody`, { n });
    }
    await Promise.all([a.done, b.done]);
    expect(a.out).toEqual(Array.from({ length: 300 }, (_, n) => ({ n, text: `é "quoted" \u0000 ${n}` })));
    expect(b.out).toEqual(
      Array.from({ length: 300 }, (_, n) => ({ n, nested: { big: '123456789012345678901234567890' } })),
    );
  });

  it('still publishes after Redis forgot its scripts (SCRIPT FLUSH, as after a restart)', async () => {
    const admin = client();
    await admin.connect();
    await admin.script('FLUSH');
    const a = await take('balance', `${tag}:after-flush`, 2);
    await subscribed(channel(`balance:${tag}:after-flush`));
    pubsub.publish('balance', `${tag}:after-flush`, { n: 1 });
    pubsub.publish('balance', `${tag}:after-flush`, { n: 2 });
    await a.done;
    expect(a.out).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('keeps deployments with different REDIS_PREFIXes apart on one Redis', async () => {
    const [pub, sub] = [client(), client()];
    await Promise.all([pub.connect(), sub.connect()]);
    const other = createPubSub<T>({
      eventTarget: createBatchedRedisEventTarget({
        publishClient: pub,
        subscribeClient: sub,
        log: createLogger('silent'),
        prefix: `${PREFIX}-other`,
      }),
    });
    const mine = await take('balance', `${tag}:shared`, 1);
    const theirs = (other.subscribe as (t: string, k: string) => AsyncIterable<unknown>)(
      'balance',
      `${tag}:shared`,
    )[Symbol.asyncIterator]();
    const theirFirst = theirs.next();
    await subscribed(channel(`balance:${tag}:shared`));
    await subscribed(liveChannelName(`${PREFIX}-other`, `balance:${tag}:shared`));
    // The other deployment publishes on the same topic and key, and its own subscriber has it; then this one.
    (other.publish as (t: string, k: string, p: unknown) => void)('balance', `${tag}:shared`, { n: 1 });
    expect((await theirFirst).value).toEqual({ n: 1 });
    await theirs.return?.();
    pubsub.publish('balance', `${tag}:shared`, { n: 2 });
    await mine.done;
    expect(mine.out).toEqual([{ n: 2 }]);
  });
});
