import { Socket } from 'node:net';
import {
  createSourceEventStream,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLError,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Principal, Services } from '../context.js';
import { canonicalJson } from '../lib/json.js';
import { isTopicStream, TOPIC } from '../modules/events/index.js';
import type { FanoutHub, Frame, Policy, Sink } from '../modules/realtime/index.js';
import { maskError } from './graphql.js';
import type { SocketOperations } from './ws-operations.js';

// Subscriptions on a socket go to the process's fan-out (src/modules/realtime/hub.ts) instead of one
// GraphQL execution per socket: each is admitted exactly as graphql-ws's own path admits an operation (rate
// limit, caps, document limits, exact variables) and authorised by its field's own `subscribe` resolver for
// this subscriber; then it joins the group of subscribers with the same document, variables and visibility,
// whose messages are executed and serialised once. The wire protocol stays graphql-ws's: `next` frames with
// the subscriber's id, `error` for a refusal, `complete` from the client to stop.

/** Streams whose newest message is all a slow reader needs (a balance, a deposit's or payout's state). */
const LATEST: ReadonlySet<string> = new Set(['balance', 'deposit', 'withdrawal', 'opsHealth']);

/** What a principal can see: subscribers are grouped only with others who see exactly the same. */
function visibility(p: Principal): string {
  switch (p.kind) {
    case 'merchant':
      return `m:${p.merchantId}:${p.mode}`;
    case 'user':
      return `u:${p.merchantId}:${p.mode}:${p.userId}:${[...p.scopes].sort().join(',')}`;
    case 'stream':
      return `s:${p.merchantId}:${p.mode}:${p.streamId}`;
    case 'deposit':
      return `d:${p.merchantId}:${p.mode}:${p.depositId}`;
    case 'admin':
      return 'a';
    default:
      return p.kind;
  }
}

export class LiveSubscriptions {
  /** Per socket: its live subscriptions' removers, by operation id. */
  private readonly live = new WeakMap<WebSocket, Map<string, () => void>>();

  constructor(
    private readonly services: Services,
    private readonly operations: SocketOperations,
    private readonly hub: FanoutHub,
  ) {}

  private ids(socket: WebSocket): Map<string, () => void> {
    let m = this.live.get(socket);
    if (!m) {
      m = new Map();
      this.live.set(socket, m);
    }
    return m;
  }

  /** Whether `id` is one of the socket's live subscriptions. */
  has(socket: WebSocket, id: string): boolean {
    return this.live.get(socket)?.has(id) ?? false;
  }

  /** The socket closed (ws-socket-lifecycle.ts): every live subscription of it leaves the fan-out. */
  closed(socket: WebSocket): void {
    const m = this.live.get(socket);
    if (!m) return;
    this.live.delete(socket);
    for (const remove of m.values()) remove();
    m.clear();
  }

  /** A client's `complete` for one of the live subscriptions: stop it. */
  complete(socket: WebSocket, id: string): boolean {
    const remove = this.live.get(socket)?.get(id);
    if (!remove) return false;
    remove();
    this.live.get(socket)!.delete(id);
    this.operations.done(socket, id);
    return true;
  }

  /** A subscribe message whose operation is a subscription (the caller checked): admit, authorise, join. */
  async subscribe(socket: WebSocket, id: string, payload: SubscribePayload): Promise<void> {
    const ids = this.ids(socket);
    const args = await this.operations.admit({ extra: { socket } }, id, payload);
    if (Array.isArray(args)) return this.refuse(socket, id, args);
    let source: Awaited<ReturnType<typeof createSourceEventStream>>;
    try {
      source = await createSourceEventStream(args);
    } catch (err) {
      // Admitted, so it holds a place under the caps: give it back (graphql-js asserts on malformed input).
      this.operations.done(socket, id);
      throw err;
    }
    if (!isAsyncIterable(source)) {
      this.operations.done(socket, id);
      return this.refuse(socket, id, (source as ExecutionResult).errors ?? []);
    }
    if (socket.readyState !== socket.OPEN || ids.has(id)) {
      await source[Symbol.asyncIterator]().return?.();
      this.operations.done(socket, id);
      return;
    }
    if (!isTopicStream(source)) {
      ids.set(id, this.iterate(socket, id, args, source));
      return;
    }
    const topic = source[TOPIC];
    const p = args.contextValue as { principal: Principal };
    const group = [
      payload.query,
      payload.operationName ?? '',
      canonicalJson(args.variableValues ?? {}),
      visibility(p.principal),
    ].join('\u0000');
    const policy: Policy = LATEST.has(topic.name) ? 'latest' : 'every';
    ids.set(
      id,
      this.hub.add(topic, group, { id, sink: sinkOf(socket), policy, render: (m) => this.render(args, m) }),
    );
  }

  /** One message for a whole group: the subscription's selection set executed once, as JSON. */
  private async render(args: ExecutionArgs, payload: unknown): Promise<string> {
    const result = await execute({ ...args, rootValue: payload });
    const errors = result.errors?.map((e) => maskError(e, this.services));
    return JSON.stringify(errors ? { ...result, errors } : result);
  }

  /** A subscription whose source is not a topic: one execution per message for this socket alone. */
  private iterate(
    socket: WebSocket,
    id: string,
    args: ExecutionArgs,
    source: AsyncIterable<unknown>,
  ): () => void {
    const iterator = source[Symbol.asyncIterator]();
    let stopped = false;
    void (async () => {
      for (;;) {
        const r = await iterator.next();
        if (r.done || stopped || socket.readyState !== socket.OPEN) return;
        socket.send(
          `{"id":${JSON.stringify(id)},"type":"next","payload":${await this.render(args, r.value)}}`,
        );
      }
    })().catch((err) => this.services.log.error({ err }, 'live subscription failed'));
    return () => {
      stopped = true;
      void iterator.return?.();
    };
  }

  private refuse(socket: WebSocket, id: string, errors: readonly GraphQLError[]): void {
    if (socket.readyState !== socket.OPEN) return;
    const payload = errors.map((e) => maskError(e, this.services).toJSON());
    socket.send(JSON.stringify({ id, type: 'error', payload }));
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/** The TCP socket under a ws WebSocket (ws keeps it as `_socket`; not in its typings). */
function rawOf(socket: WebSocket): Socket | undefined {
  const raw = (socket as unknown as { _socket?: unknown })._socket;
  return raw instanceof Socket ? raw : undefined;
}

/**
 * A subscriber's socket for the fan-out. A frame's bytes are written straight to the TCP socket: ws writes
 * every frame synchronously in the order sent (this server has no permessage-deflate, the only case where
 * ws queues frames), so this interleaves correctly with ws's own frames (pings, closes) and counts in
 * `bufferedAmount`. Without a TCP socket (never, with ws 8), ws frames the text itself. A class, not an
 * object of closures and getters: one is kept per subscriber.
 */
class SocketSink implements Sink {
  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Socket | undefined,
  ) {}

  send(frame: Frame): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (!this.raw) return void this.socket.send(frame.text);
    const wire = frame.wire();
    if (this.raw.writableCorked > 0) heldBytes.set(this.raw, (heldBytes.get(this.raw) ?? 0) + wire.length);
    this.raw.write(wire);
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** What the client has not taken yet: ws's count, less what this turn holds in the corked socket. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount - (this.raw ? (heldBytes.get(this.raw) ?? 0) : 0);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** Corks the TCP socket: what is written meanwhile (frames, ws's own) goes out in order in one writev. */
  hold(): void {
    this.raw?.cork();
  }

  release(): void {
    if (!this.raw) return;
    this.raw.uncork();
    if (this.raw.writableCorked === 0) heldBytes.delete(this.raw);
  }
}

/**
 * Bytes the fan-out wrote into each socket while it was held (corked) this turn. They are counted in ws's
 * `bufferedAmount` until the turn ends, though the client may read them at once: the slow-reader rules
 * (hub.ts) leave them out, or a fast reader that gets many messages in one turn would be taken for a slow one.
 * Per TCP socket, as several subscriptions (sinks) can share one.
 */
const heldBytes = new WeakMap<Socket, number>();

/** The fan-out's view of a socket (exported for tests). */
export function sinkOf(socket: WebSocket): Sink {
  return new SocketSink(socket, rawOf(socket));
}
