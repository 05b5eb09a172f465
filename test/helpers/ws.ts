import { type Client, createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import type { Mode } from '../../src/lib/tenant.js';
import { liveChannelName, type Topics, topicKey } from '../../src/modules/events/index.js';
import { eventually } from './receiver.js';

export interface Subscription<T> {
  values: T[];
  errors: unknown[];
  done: Promise<void>;
  stop(): void;
}

/** A graphql-ws client over a real socket; records the close code if the server refuses it. */
export function wsClient(url: string, connectionParams: Record<string, unknown>) {
  let closeCode: number | null = null;
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (e) => {
        closeCode = (e as { code: number }).code;
      },
    },
  });
  return {
    client,
    closeCode: () => closeCode,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): Subscription<T> {
      const values: T[] = [];
      const errors: unknown[] = [];
      let stop: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        stop = client.subscribe<T>(
          { query, variables },
          {
            next: (v) => {
              if (v.errors) errors.push(...v.errors);
              else if (v.data) values.push(v.data as T);
            },
            error: (e) => {
              errors.push(e);
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
      return { values, errors, done, stop };
    },
    dispose: () => client.dispose(),
  };
}

/**
 * Waits until a socket's earlier subscriptions are live: subscribes to `balanceUpdated` of a probe user
 * (last, so it is set up after the others) and pokes that user until an update arrives.
 */
export async function untilLive(
  c: ReturnType<typeof wsClient>,
  probeUserId: string,
  poke: () => Promise<void>,
): Promise<void> {
  const probe = c.subscribe<unknown>(`subscription { balanceUpdated(userId: "${probeUserId}") { balance } }`);
  for (let i = 0; i < 50 && probe.values.length === 0; i++) {
    await poke();
    const deadline = Date.now() + 200;
    while (probe.values.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
  probe.stop();
  if (probe.values.length === 0) throw new Error('subscriptions never became live');
}

/** The Redis pub/sub channel a tenant's live topic is published on, under the app's REDIS_PREFIX. */
export function liveChannel(
  app: { config: { redisPrefix: string } },
  topic: keyof Topics,
  tenant: { merchantId: string; mode: Mode },
  id: string,
): string {
  return liveChannelName(app.config.redisPrefix, `${topic}:${topicKey(tenant.merchantId, tenant.mode, id)}`);
}

/** How many connections Redis has subscribed to `channel` (PUBSUB NUMSUB). */
async function channelSubscribers(redis: Redis, channel: string): Promise<number> {
  const [, n] = (await redis.pubsub('NUMSUB', channel)) as [string, number | string];
  return Number(n);
}

/** Polls `channel`'s subscriber count on its own connection (an app's client pipelines, which PUBSUB breaks). */
async function untilSubscribers(
  redisUrl: string,
  channel: string,
  ok: (n: number) => boolean,
  timeoutMs: number,
) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await eventually(async () => ok(await channelSubscribers(redis, channel)), timeoutMs, 10);
  } finally {
    redis.disconnect();
  }
}

/**
 * Waits until a server process has subscribed to `channel` in Redis. A server's fan-out registers the
 * subscriber in the same step as it sends SUBSCRIBE (src/modules/realtime/hub.ts), so from then on every
 * message published on the channel reaches it. For a subscription whose credential allows no probe user
 * (untilLive), or a socket served by another process; only meaningful while no one else watches the channel.
 */
export async function untilSubscribed(redisUrl: string, channel: string, timeoutMs = 15_000): Promise<void> {
  await untilSubscribers(redisUrl, channel, (n) => n > 0, timeoutMs);
}

/** Waits until no connection is subscribed to `channel` any more (its last subscriber left). */
export async function untilUnsubscribed(
  redisUrl: string,
  channel: string,
  timeoutMs = 15_000,
): Promise<void> {
  await untilSubscribers(redisUrl, channel, (n) => n === 0, timeoutMs);
}

/**
 * graphql-ws spoken by hand over a real socket: each message is sent as the exact text given (a client library
 * would JSON.stringify it, rounding numbers such as 1.000000000000000001). `headers` go on the upgrade request.
 */
export async function rawSocket(
  url: string,
  init: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const ws = new WebSocket(url, 'graphql-transport-ws', { headers });
  const messages: { id?: string; type: string; payload?: any }[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closing = new Promise<void>((resolve) =>
    ws.on('close', (code, reason) => {
      closed = { code, reason: String(reason) };
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: init }));
  while (!closed && !messages.some((m) => m.type === 'connection_ack'))
    await new Promise((r) => setTimeout(r, 5));
  const acked = messages.some((m) => m.type === 'connection_ack');
  /** The messages for one operation id, once it finished (complete or error), or the socket closed. */
  const result = async (id: string) => {
    for (;;) {
      const mine = messages.filter((m) => m.id === id);
      if (closed || mine.some((m) => m.type === 'complete' || m.type === 'error')) return mine;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    acked,
    closed: () => closed as { code: number; reason: string } | null,
    closing,
    messages,
    /** Sends a subscribe message whose payload is `payloadText` exactly. */
    sendRaw(id: string, payloadText: string) {
      ws.send(`{"id":${JSON.stringify(id)},"type":"subscribe","payload":${payloadText}}`);
    },
    /** Sends `text` as the whole message, exactly. */
    sendText(text: string) {
      ws.send(text);
    },
    subscribe(id: string, query: string, variables: Record<string, unknown> = {}) {
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    },
    complete(id: string) {
      ws.send(JSON.stringify({ id, type: 'complete' }));
    },
    /** Sends `text` as it is (any message: a ping, something malformed). */
    send(text: string) {
      ws.send(text);
    },
    result,
    close: () => ws.close(),
  };
}

/** connection_init's payload for an API key: the current Unix time, signed with the key's secret. */
export function keyInit(m: { apiKey: string; apiSecret: string }) {
  const ts = String(Math.floor(Date.now() / 1000));
  return { apiKey: m.apiKey, timestamp: ts, signature: hmacSha256Hex(m.apiSecret, ts) };
}
