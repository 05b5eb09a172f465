import type { FastifyInstance } from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { Context, Services } from '../context.js';
import { newId } from '../lib/ids.js';
import { FanoutHub } from '../modules/realtime/index.js';
import type { Authenticator } from './auth.js';
import { maskError } from './graphql.js';
import { SocketExpiry } from './ws-expiry.js';
import { CLOSE_UNAUTHORIZED, connectionInit, handleUpgrades, type SocketExtra } from './ws-handshake.js';
import { HeapRelease } from './ws-heap-release.js';
import { LiveSubscriptions } from './ws-live.js';
import { dropKey, SocketOperations } from './ws-operations.js';
import { startRevocationSweep } from './ws-revocation-sweep.js';
import { MessageRouter, startKeepAlive } from './ws-router.js';
import { CredentialSockets } from './ws-socket-index.js';
import { type SocketParts, socketOpened } from './ws-socket-lifecycle.js';

// GraphQL over graphql-ws on the same port and path as /graphql. A socket comes in through ws-handshake.ts:
// the per-address caps at the upgrade (ws-address-cap.ts: past them, HTTP 429 and no socket), then the
// credential in connection_init, checked as the HTTP door checks it. Every operation then passes
// ws-operations.ts. Sockets close with 4401 when their API key or bearer token is revoked, or the token
// expires. From its opening to its close a socket is ws-socket-lifecycle.ts's: every message spends the
// socket's message budget (ws-budget.ts, 4429 `too_many_messages` past it), and one listener does all of
// its cleanup when it closes.

export const CLOSE_GOING_AWAY = 1001;
/** A disconnect wave is over when no socket has closed for this long (ws-heap-release.ts). */
const HEAP_RELEASE_QUIET_MS = 2_000;

/** What every socket is registered with, and the fan-out they share. */
function socketParts(wss: WebSocketServer, schema: GraphQLSchema, services: Services, auth: Authenticator) {
  const operations = new SocketOperations(schema, services, auth);
  const hub = new FanoutHub(
    services.live,
    { coalesceBytes: services.config.wsCoalesceBytes, slowBytes: services.config.wsSlowClientBytes },
    services.log,
  );
  const live = new LiveSubscriptions(services, operations, hub);
  let heapReleases = 0;
  const heap = new HeapRelease({
    minCloses: services.config.wsHeapReleaseAfterCloses,
    quietMs: HEAP_RELEASE_QUIET_MS,
    onRelease: (closes) => {
      heapReleases++;
      services.log.info({ closes, open: wss.clients.size }, 'WebSockets closed in a wave: memory released');
    },
  });
  const parts: SocketParts = {
    operations,
    router: new MessageRouter(operations, live),
    heap,
    live,
    credentials: new CredentialSockets(),
    expiry: new SocketExpiry(CLOSE_UNAUTHORIZED),
  };
  return { parts, hub, heapReleases: () => heapReleases };
}

/** graphql-ws's server: what is not a live subscription (ws-router.ts), with errors masked as over HTTP. */
function graphqlWsServer(
  schema: GraphQLSchema,
  services: Services,
  operations: SocketOperations,
  onConnect: ReturnType<typeof connectionInit>,
) {
  const mask = (errors: readonly GraphQLError[]) => errors.map((e) => maskError(e, services).toJSON());
  return makeServer<Record<string, unknown> | undefined, SocketExtra>({
    schema,
    context: (ctx): Context => ({
      principal: operations.principal(ctx.extra.socket),
      services,
      requestId: newId('req'),
    }),
    onConnect,
    onSubscribe: (ctx, id, payload) => operations.admit(ctx, id, payload),
    onComplete: (ctx, id) => {
      const state = operations.state(ctx.extra.socket);
      if (state) dropKey(state, 'forwarded', id);
      operations.done(ctx.extra.socket, id);
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      if ('errors' in result && result.errors?.length) {
        return { ...result, errors: result.errors.map((e) => maskError(e, services)) };
      }
      return result;
    },
    onError: (ctx, id, _payload, errors) => {
      const state = operations.state(ctx.extra.socket);
      if (state) dropKey(state, 'forwarded', id);
      return mask(errors);
    },
  });
}

export function attachSubscriptions(
  app: FastifyInstance,
  schema: GraphQLSchema,
  services: Services,
  auth: Authenticator,
) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    // No compression: the fan-out writes prebuilt frames to the TCP socket (ws-live.ts sinkOf).
    perMessageDeflate: false,
  });
  const { parts, hub, heapReleases } = socketParts(wss, schema, services, auth);
  const { heap, expiry } = parts;
  const { byKey, byToken } = parts.credentials;
  const upgrades = handleUpgrades(app.server, wss, services);
  const onConnect = connectionInit(auth, services, upgrades, parts);
  const server = graphqlWsServer(schema, services, parts.operations, onConnect);
  wss.options.handleProtocols = handleProtocols;
  wss.on('connection', socketOpened(server, parts, services));
  const keepAlive = startKeepAlive(wss);
  /** Closes the sockets that authenticated with a revoked key. */
  const closeForKey = (keyId: string): void => byKey.close(keyId, CLOSE_UNAUTHORIZED, 'key_revoked');
  /** Closes the sockets that authenticated with a revoked bearer token (by its jti). */
  const closeForToken = (tokenId: string): void =>
    byToken.close(tokenId, CLOSE_UNAUTHORIZED, 'token_revoked');
  const revocationSweep = startRevocationSweep(
    { keyIds: () => byKey.ids(), tokenIds: () => byToken.ids(), closeForKey, closeForToken },
    services,
  );

  return {
    /** The process's live fan-out (its counters are in metrics and tests). */
    hub,
    /** How many times a wave of closed sockets started a major GC (ws-heap-release.ts). */
    heapReleases,
    /** Sockets held under the per-address caps, and upgrades refused by them (ws-address-cap.ts). */
    addressCaps() {
      return { ...upgrades.caps.totals(), refused: { ...upgrades.caps.refused } };
    },
    /** How many open sockets are indexed by the key or token that opened them (to close them on revocation). */
    indexedSockets(): number {
      return byKey.size() + byToken.size();
    },
    closeForKey,
    closeForToken,
    /** On shutdown: stops the timers and the fan-out, then closes every socket (goAway). */
    async close(graceMs: number): Promise<void> {
      keepAlive.stop();
      revocationSweep.stop();
      heap.stop();
      expiry.stop();
      hub.close();
      await goAway(wss, graceMs);
    },
  };
}

/**
 * Tells every client we are going away (1001), so they reconnect elsewhere. A client that has not answered
 * the close frame within `graceMs` (its network went away silently) is cut off: ws would wait 30 s for it,
 * and the stop (the HTTP drain, ledger, workers) waited behind it.
 */
async function goAway(wss: WebSocketServer, graceMs: number): Promise<void> {
  for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server shutting down');
  const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([closed, late]);
  clearTimeout(timer);
  for (const ws of wss.clients) ws.terminate();
  await closed;
}
