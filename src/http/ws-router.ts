import { OperationTypeNode } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { parseGraphqlJsonFast } from '../lib/json-fast.js';
import type { LiveSubscriptions } from './ws-live.js';
import { dropKey, type SocketOperations, type SocketState } from './ws-operations.js';

// Each message a socket sends is read once, here. Subscriptions go to the fan-out (ws-live.ts); everything
// else (connection_init, ping, queries, mutations, malformed messages) goes to graphql-ws's own server, which
// answers and closes exactly as the protocol says. Subscribe payloads are kept as HTTP parses them, so
// variables reach the Decimal scalar exactly.

const CLOSE_BAD_REQUEST = 4400;
const CLOSE_DUPLICATE_ID = 4409;
/** How often every socket is pinged; one that has not answered the last ping by the next is terminated. */
const KEEP_ALIVE_MS = 12_000;

type Forward = (text: string) => Promise<void>;

export class MessageRouter {
  constructor(
    private readonly operations: SocketOperations,
    private readonly live: LiveSubscriptions,
  ) {}

  async route(socket: WebSocket, state: SocketState, text: string, forward: Forward): Promise<void> {
    let message: { type?: unknown; id?: unknown; payload?: unknown };
    try {
      // Every message is read exactly, as HTTP reads a body, so a key given twice is refused in any of them
      // (JSON.parse alone would let `"type":"subscribe",…,"type":"complete"` through as a complete). The fast
      // form gives parseGraphqlJson's very result, with V8's parser when that is certain (json-fast.ts).
      message = parseGraphqlJsonFast(text) as typeof message;
    } catch {
      // Not JSON, or JSON that HTTP refuses too (a key given twice, which JSON.parse, and so graphql-ws, would
      // read as its last value: `"amount":"1","amount":"2"` moved 2): closed as graphql-ws closes for text
      // that is not JSON.
      socket.close(CLOSE_BAD_REQUEST, 'Invalid message received');
      return;
    }
    const id = typeof message?.id === 'string' ? message.id : null;
    if (message?.type === 'complete' && id !== null) {
      if (this.live.complete(socket, id)) return;
      // Still starting: it is completed once started, and nothing of it is sent.
      const starting = state.starting?.get(id);
      if (!starting) return forward(text);
      starting.completed = true;
      return;
    }
    const payload = message?.payload as SubscribePayload | undefined;
    // A payload graphql-ws would refuse (variables that are not an object): it closes the socket (4400).
    if (
      message?.type !== 'subscribe' ||
      id === null ||
      !isObject(payload) ||
      !optionalObject(payload.variables)
    )
      return forward(text);
    // Not acknowledged yet: graphql-ws closes the socket (4401), as the protocol says.
    if (!state.principal) return forward(text);
    const earlier = state.starting?.get(id);
    // In use: forwarded and running, live, or still starting and not completed by the client.
    if (state.forwarded?.has(id) || this.live.has(socket, id) || (earlier && !earlier.completed)) {
      socket.close(CLOSE_DUPLICATE_ID, closeReason(`Subscriber for ${id} already exists`));
      return;
    }
    await this.start(socket, state, id, payload, earlier, () => forward(text));
  }

  /**
   * Runs a subscribe whose id is free, or whose earlier subscription the client completed while it was starting
   * (`earlier`; the protocol lets a client reuse a completed id): the id is this one's from now on, so a
   * `complete` marks this one, and it begins once the earlier one has ended.
   */
  private async start(
    socket: WebSocket,
    state: SocketState,
    id: string,
    payload: SubscribePayload,
    earlier: { ended: Promise<void> } | undefined,
    forward: () => Promise<void>,
  ): Promise<void> {
    let end = () => {};
    const entry = { completed: false, ended: new Promise<void>((resolve) => (end = resolve)) };
    state.starting ??= new Map();
    state.starting.set(id, entry);
    try {
      if (earlier) await earlier.ended;
      if (entry.completed) return;
      state.exact ??= new Map();
      state.exact.set(id, payload);
      if (
        this.operations.operationOf(payload.query, payload.operationName) !== OperationTypeNode.SUBSCRIPTION
      ) {
        // graphql-ws runs it, and hears its complete.
        state.forwarded ??= new Set();
        state.forwarded.add(id);
        dropKey(state, 'starting', id);
        return await forward();
      }
      await this.live.subscribe(socket, id, payload);
    } finally {
      if (state.starting?.get(id) === entry) dropKey(state, 'starting', id);
      if (entry.completed) this.live.complete(socket, id);
      end();
    }
  }
}

/** The longest close reason a WebSocket allows, in UTF-8 bytes (RFC 6455); ws throws on a longer one. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * A close reason cut to 123 bytes on a character boundary: graphql-ws names the operation id in some (a
 * duplicate id), and ids may be as long as a message allows.
 */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > MAX_CLOSE_REASON_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalObject = (v: unknown) => v === undefined || v === null || isObject(v);

/** One timer pings every socket (not one timer per socket); a socket that missed a pong is terminated. */
export function startKeepAlive(wss: WebSocketServer, everyMs = KEEP_ALIVE_MS) {
  const alive = new WeakMap<WebSocket, boolean>();
  // One listener function for every socket (ws calls it with the socket as `this`), not a closure each.
  function answered(this: WebSocket) {
    alive.set(this, true);
  }
  wss.on('connection', (socket: WebSocket) => {
    alive.set(socket, true);
    socket.on('pong', answered);
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
