import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';

// The live events' Redis pub/sub target: graphql-yoga's own for subscribing, and publishing batched. Each
// outbox event implies several messages (the raw event, the ops feed, each side's balance and history row,
// a donation), so a relay pass publishes dozens at once. One PUBLISH command each cost ioredis ~10 µs of
// CPU apiece (a command object, its encoding, its reply); gathered per tick into one script call that
// publishes them in order, ~4 µs (docs/benchmarks.md, issue 15). Message text is exactly yoga's (JSON); each
// channel is yoga's `topic:key` under REDIS_PREFIX (liveChannelName), so deployments sharing one Redis do not
// hear each other's live events (the ops feed carries every merchant's).

/** The Redis channel of a live topic's key (`donation`, `m:test:stream_1` → `novapay:live:donation:m:test:…`). */
export function liveChannelName(prefix: string, topicAndKey: string): string {
  return `${prefix}:live:${topicAndKey}`;
}

/** The live events' target, and when Redis has what was published so far. */
export interface LiveEventTarget extends EventTarget {
  /**
   * Resolves once Redis has answered every message published before the call (at once while Redis is not
   * connected): the outbox relay waits for it before it commits a pass, so the next pass, of any worker,
   * publishes after them (relay.ts).
   */
  flushed(): Promise<void>;
}

/** At most this many messages go into one script call (a bounded time for Redis to run it). */
const MAX_PER_CALL = 500;

const PUBLISH_ALL = `for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end return #ARGV / 2`;

interface PublishingRedis extends Redis {
  novapayPublishAll(...channelsAndMessages: string[]): Promise<number>;
}

/**
 * A yoga pub/sub event target over Redis whose publishes go to Redis in order, those of one tick (or made
 * while the previous call was in flight) as one command.
 * `publishClient` should keep an offline queue (live messages wait out an outage; the outbox keeps the
 * truth); a publish Redis refuses is logged, as yoga's target would have left it unhandled.
 */
export function createBatchedRedisEventTarget(args: {
  publishClient: Redis;
  subscribeClient: Redis;
  log: Logger;
  /** REDIS_PREFIX: every channel is under it. */
  prefix: string;
}): LiveEventTarget {
  const { publishClient, subscribeClient, log, prefix } = args;
  const channel = (type: string) => liveChannelName(prefix, type);
  const target = createRedisEventTarget({ publishClient, subscribeClient });
  const client = publishClient as PublishingRedis;
  // EVALSHA, with EVAL when Redis lost its scripts (a restart): ioredis handles NOSCRIPT itself.
  if (!client.novapayPublishAll)
    client.defineCommand('novapayPublishAll', { numberOfKeys: 0, lua: PUBLISH_ALL });
  // One call in flight at a time, the next with everything published meanwhile: two calls in flight could be
  // reordered by ioredis when Redis lost the script without a reconnect (each NOSCRIPT is resent as EVAL on
  // its own), and a subscriber would see an older balance last.
  const pending: string[] = [];
  let sending = false;
  let scheduled = false;
  // Messages handed over so far, and those Redis has answered (or refused): what `flushed` waits on.
  let queued = 0;
  let answered = 0;
  let waiters: { upTo: number; resolve: () => void }[] = [];
  const settle = (): void => {
    const due = waiters.filter((w) => w.upTo <= answered);
    waiters = waiters.filter((w) => w.upTo > answered);
    for (const w of due) w.resolve();
  };
  const send = (): void => {
    if (sending || pending.length === 0) return;
    sending = true;
    const batch = pending.splice(0, MAX_PER_CALL * 2);
    client
      .novapayPublishAll(...batch)
      .catch((err: Error) => {
        log.warn({ err: err.message }, 'live messages not published to Redis');
      })
      .finally(() => {
        answered += batch.length / 2;
        settle();
        sending = false;
        send();
      });
  };
  const dispatchEvent = (event: Event): boolean => {
    const detail = (event as CustomEvent).detail;
    queued++;
    pending.push(channel(event.type), detail === undefined ? '' : JSON.stringify(detail));
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        send();
      });
    }
    return true;
  };
  return {
    addEventListener: (
      type: string,
      listener: EventListenerOrEventListenerObject | null,
      options?: unknown,
    ) => target.addEventListener(channel(type), listener, options as AddEventListenerOptions),
    removeEventListener: (
      type: string,
      listener: EventListenerOrEventListenerObject | null,
      options?: unknown,
    ) => target.removeEventListener(channel(type), listener, options as EventListenerOptions),
    dispatchEvent,
    flushed: () => {
      // While Redis is away the messages wait in the offline queue, and nothing waits for them.
      if (answered >= queued || client.status !== 'ready') return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ upTo: queued, resolve }));
    },
  } as LiveEventTarget;
}
