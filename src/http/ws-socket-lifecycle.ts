import type { IncomingMessage } from 'node:http';
import type { Server as WsServer } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Services } from '../context.js';
import type { Logger } from '../lib/logger.js';
import { MessageBudget } from './ws-budget.js';
import {
  CLOSE_INTERNAL_ERROR,
  CLOSE_RATE_LIMITED,
  type ConnectedSockets,
  type SocketExtra,
} from './ws-handshake.js';
import type { HeapRelease } from './ws-heap-release.js';
import type { LiveSubscriptions } from './ws-live.js';
import type { SocketState } from './ws-operations.js';
import { closeReason, type MessageRouter } from './ws-router.js';

// A socket from its opening to its close (ws.ts mounts it on the WebSocketServer's 'connection'). Every
// message, of any type and from the first, spends the socket's message budget (ws-budget.ts); a socket past
// it is closed with 4429 `too_many_messages`, which graphql-ws clients take as fatal (they do not reconnect on
// their own). What is within it is read once by the router (ws-router.ts). One `close` listener does all of
// a socket's cleanup (each listener is kept, per socket, until then).

/** What every socket is registered with while it is open, and leaves when it closes. */
export interface SocketParts extends ConnectedSockets {
  router: MessageRouter;
  heap: HeapRelease;
  live: LiveSubscriptions;
}

/** A socket's error listener, shared by every socket (a closure each would be kept per socket). */
function terminateOnError(this: WebSocket): void {
  this.terminate();
}

/** Whether a message may be read: the socket is open and within its budget (closed with 4429 if not). */
function withinBudget(socket: WebSocket, budget: MessageBudget, parts: SocketParts, log: Logger): boolean {
  if (socket.readyState !== socket.OPEN) return false; // closing: what is still in flight is not read
  if (budget.spend()) return true;
  log.info(
    { principal: parts.operations.principal(socket).kind },
    'WebSocket closed: over its message budget',
  );
  socket.close(CLOSE_RATE_LIMITED, 'too_many_messages');
  return false;
}

/** Everything a socket's close undoes, in one listener (each listener is kept, per socket, until then). */
function onClosed(socket: WebSocket, state: SocketState, parts: SocketParts): void {
  parts.operations.closed(socket, state);
  parts.heap.closed();
  if (state.principal) parts.credentials.remove(state.principal, socket);
  parts.expiry.remove(socket);
  parts.live.closed(socket);
}

/** The WebSocketServer's 'connection' listener: hands each socket to graphql-ws's `server`. */
export function socketOpened(
  server: WsServer<SocketExtra>,
  parts: SocketParts,
  services: Services,
): (socket: WebSocket, request: IncomingMessage) => void {
  const { wsMessagesPerSecond, wsMessageBurst } = services.config;
  return (socket, request) => {
    const state = parts.operations.open(socket);
    parts.heap.opened();
    const budget = new MessageBudget(wsMessagesPerSecond, wsMessageBurst);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.OPEN) socket.send(data, () => resolve());
            else resolve();
          }),
        close: (code, reason) => socket.close(code, reason === undefined ? reason : closeReason(reason)),
        onMessage: (cb) =>
          socket.on('message', (data) => {
            if (!withinBudget(socket, budget, parts, services.log)) return;
            parts.router.route(socket, state, String(data), cb).catch((err) => {
              services.log.error({ err }, 'WebSocket message handling failed');
              socket.close(CLOSE_INTERNAL_ERROR, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      onClosed(socket, state, parts);
      void closed(code, String(reason));
    });
    socket.on('error', terminateOnError);
  };
}
