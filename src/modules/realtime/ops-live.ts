import { filter, pipe, Repeater } from 'graphql-yoga';
import { canonicalJson } from '../../lib/json.js';
import type { Logger } from '../../lib/logger.js';
import {
  OPS_ALL,
  type OpsEventMessage,
  type PubSub,
  TOPIC,
  type TopicStream,
  type Topics,
} from '../events/index.js';
import type { TopicSource } from './hub.js';

// The ops console's live topics (issue 19), served by the same fan-out as every subscription
// (src/modules/realtime/hub.ts): a subscription field returns a topic stream, and each API process reads
// each distinct topic once however many admins watch it.
// - `ops`: every event of every merchant. The relay publishes each event once, under the key `all`; a
//   subscriber's filter (types, merchant, mode) is its topic key, and the process applies it to the one
//   Redis channel, so a filter costs no extra publish.
// - `opsHealth`: queues, scanners, webhook backlog and hot wallets, read by this process every
//   OPS_HEALTH_INTERVAL_MS while anyone watches (once per process, not per admin), the first read at once.

export const OPS_HEALTH_INTERVAL_MS = 5000;

export interface OpsEventFilter {
  types?: readonly string[] | null;
  merchantId?: string | null;
  mode?: string | null;
}

/** A filter's topic key: the same filter always gives the same key (so its subscribers share a topic). */
export function opsEventsKey(f: OpsEventFilter): string {
  return canonicalJson({
    types: [...new Set(f.types ?? [])].sort(),
    merchantId: f.merchantId ?? null,
    mode: f.mode ?? null,
  });
}

function matcher(key: string): (m: OpsEventMessage) => boolean {
  const f = JSON.parse(key) as { types: string[]; merchantId: string | null; mode: string | null };
  const types = new Set(f.types);
  return (m) =>
    (types.size === 0 || types.has(m.type)) &&
    (f.merchantId === null || m.merchantId === f.merchantId) &&
    (f.mode === null || m.mode === f.mode);
}

/** Reads `read` now and every `intervalMs` until the consumer stops; a failed read is logged and skipped. */
function polled(read: () => Promise<unknown>, intervalMs: number, log: Logger): AsyncIterable<unknown> {
  return new Repeater(async (push, stop) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = async () => {
      try {
        const value = await read();
        if (!stopped) await push(value);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'ops health could not be read for the live feed');
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    await stop;
    stopped = true;
    clearTimeout(timer);
  });
}

/**
 * Where every live topic's messages come from, for the fan-out and for any other transport alike: the ops
 * topics as above, everything else straight from Redis pub/sub.
 */
export function liveSource(
  pubsub: PubSub,
  health: () => Promise<unknown>,
  log: Logger,
  intervalMs = OPS_HEALTH_INTERVAL_MS,
): TopicSource {
  const subscribe = pubsub.subscribe as (name: string, key: string) => AsyncIterable<unknown>;
  return (name, key) => {
    if (name === 'opsHealth') return polled(health, intervalMs, log);
    if (name === 'ops') {
      return pipe(
        pubsub.subscribe('ops', OPS_ALL) as AsyncIterable<OpsEventMessage>,
        filter(matcher(key)),
      ) as AsyncIterable<unknown>;
    }
    return subscribe(name, key);
  };
}

/** A subscription field's stream of a topic whose messages come from `source` (see topicStream). */
export function liveStream<K extends keyof Topics>(
  source: TopicSource,
  name: K,
  key: string,
): TopicStream<Topics[K][1]> {
  return {
    [TOPIC]: { name, key },
    [Symbol.asyncIterator]: () => (source(name, key) as AsyncIterable<Topics[K][1]>)[Symbol.asyncIterator](),
  };
}
