import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { handleProtocols, makeServer } from 'graphql-ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Context, Principal, Services } from '../context.js';
import { AppError, unavailableError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { FanoutHub } from '../modules/realtime/index.js';
import type { Authenticator } from './auth.js';
import { budgetAddress, trustProxyFn, upgradeClientAddress } from './client-address.js';
import { maskError } from './graphql.js';
import { type AddressPlace, AddressSockets, refusalLog, refuseUpgrade } from './ws-address-cap.js';
import { MessageBudget } from './ws-budget.js';
import { SocketExpiry } from './ws-expiry.js';
import { HeapRelease } from './ws-heap-release.js';
import { LiveSubscriptions } from './ws-live.js';
import { dropKey, SocketOperations, type SocketState } from './ws-operations.js';
import { startRevocationSweep } from './ws-revocation-sweep.js';
import { closeReason, MessageRouter, startKeepAlive } from './ws-router.js';
import { CredentialSockets } from './ws-socket-index.js';

// GraphQL over graphql-ws on the same port and path as /graphql. The socket authenticates in connection_init:
// {token} (a bearer token) or {apiKey, timestamp, signature[, signatureVersion]}, with the checks of the HTTP
// door: the key's IP allow-list against the client address of the upgrade request (TRUST_PROXY applies), the
// signature, and one unit of the credential's rate limit. A refusal closes the socket: 4403 `ip_not_allowed`,
// 4429 `rate_limited`, 4401 anything else (the reason is the error code). Every operation then passes
// ws-operations.ts. Sockets close with 4401 when their API key or bearer token is revoked, or the token
// expires. Every message, of any type and from the first, spends the socket's message budget (ws-budget.ts);
// a socket past it is closed with 4429 `too_many_messages`, which graphql-ws clients take as fatal (they do
// not reconnect on their own).
// Before any of this, one client address may hold only so many sockets (ws-address-cap.ts): past the cap, the
// upgrade is answered with HTTP 429 and no socket is made.

type Extra = { socket: WebSocket; request?: IncomingMessage };

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_IP_NOT_ALLOWED = 4403;
export const CLOSE_RATE_LIMITED = 4429;
export const CLOSE_GOING_AWAY = 1001;
/** A dependency (PostgreSQL) refused the check: graphql-ws clients retry 1013, unlike 4401 and 4429. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
const CLOSE_INTERNAL_ERROR = 4500;
/** A disconnect wave is over when no socket has closed for this long (ws-heap-release.ts). */
const HEAP_RELEASE_QUIET_MS = 2_000;

/** The close code and reason for a refused connection_init (an AppError; unavailableError's included). */
function closeFor(err: AppError): [number, string] {
  if (err.code === 'service_unavailable') return [CLOSE_TRY_AGAIN_LATER, err.code];
  if (err.code === 'ip_not_allowed') return [CLOSE_IP_NOT_ALLOWED, err.code];
  if (err.code === 'rate_limited') return [CLOSE_RATE_LIMITED, err.code];
  return [CLOSE_UNAUTHORIZED, err.code];
}

/**
 * A connection_init field as text: a string or number as it is, anything else (an object, which String() may
 * throw on, as for {"toString":1}) as its JSON, which the checks then refuse like any wrong value.
 */
const fieldText = (v: unknown): string =>
  typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** A socket's error listener, shared by every socket (a closure each would be kept per socket). */
function terminateOnError(this: WebSocket): void {
  this.terminate();
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
  const credentials = new CredentialSockets();
  const { byKey, byToken } = credentials;
  const expiry = new SocketExpiry(CLOSE_UNAUTHORIZED);
  const operations = new SocketOperations(schema, services, auth);
  const hub = new FanoutHub(
    services.live,
    { coalesceBytes: services.config.wsCoalesceBytes, slowBytes: services.config.wsSlowClientBytes },
    services.log,
  );
  const live = new LiveSubscriptions(services, operations, hub);
  const trust = trustProxyFn(services.config.trustProxy);
  let heapReleases = 0;
  const heap = new HeapRelease({
    minCloses: services.config.wsHeapReleaseAfterCloses,
    quietMs: HEAP_RELEASE_QUIET_MS,
    onRelease: (closes) => {
      heapReleases++;
      services.log.info({ closes, open: wss.clients.size }, 'WebSockets closed in a wave: memory released');
    },
  });

  const caps = new AddressSockets({
    maxPending: services.config.wsMaxPendingPerAddress,
    maxOpen: services.config.wsMaxSocketsPerAddress,
  });
  /** Each socket's place under the per-address caps, to mark it acknowledged (then forgotten). */
  const places = new WeakMap<WebSocket, AddressPlace>();
  /** The client address of each upgrade request, read once (TRUST_PROXY applied) for the cap and the checks. */
  const clientAddresses = new WeakMap<IncomingMessage, string>();
  const logRefusal = refusalLog((fields, message) => services.log.warn(fields, message));

  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/graphql') {
      socket.destroy();
      return;
    }
    // Counted from here, before the handshake, and given back when the TCP socket closes (ws-address-cap.ts).
    const client = upgradeClientAddress(req, trust);
    clientAddresses.set(req, client);
    const address = budgetAddress(client);
    const place = caps.take(address);
    if (typeof place === 'string') {
      logRefusal(address, place);
      // Node took its own error listener off the socket for the upgrade: a reset must not throw.
      socket.on('error', () => socket.destroy());
      refuseUpgrade(socket as Socket, place);
      return;
    }
    if (socket.destroyed) {
      place.release();
      return;
    }
    socket.once('close', () => place.release());
    wss.handleUpgrade(req, socket, head, (ws) => {
      places.set(ws, place);
      wss.emit('connection', ws, req);
    });
  });

  /** Who opened the socket, and when its bearer token expires (ms since the epoch; none for an API key). */
  async function authenticate(
    params: Record<string, unknown> | undefined,
    address: string,
    request: Pick<FastifyRequest, 'headers'>,
  ): Promise<{ principal: Principal; expiresAt?: number }> {
    if (params && typeof params.portalCsrf === 'string') {
      // The ops portal: its HttpOnly session cookie came with the upgrade, the CSRF value in connection_init.
      const session = auth.socketSessionToken?.(request, params.portalCsrf);
      const credential = session ? await auth.tokenCredential(session) : null;
      if (credential?.principal.kind !== 'admin') {
        throw new AppError('invalid_token', 'The portal session is missing or expired: sign in again');
      }
      await auth.spend(credential.principal, address);
      return credential;
    }
    if (params && typeof params.token === 'string') {
      const credential = await auth.tokenCredential(params.token);
      await auth.spend(credential.principal, address);
      return credential;
    }
    if (params && typeof params.apiKey === 'string') {
      const { apiKey, timestamp, signature, signatureVersion, nonce } = params;
      const principal = await auth.principalFromKeySignature(
        {
          apiKey,
          timestamp: fieldText(timestamp ?? ''),
          signature: fieldText(signature ?? ''),
          signatureVersion: signatureVersion === undefined ? undefined : fieldText(signatureVersion),
          nonce: nonce === undefined ? undefined : fieldText(nonce),
        },
        address,
      );
      return { principal };
    }
    throw new AppError(
      'invalid_token',
      'connection_init must carry {token}, {apiKey, timestamp, signature} or {portalCsrf}',
    );
  }

  const mask = (errors: readonly GraphQLError[]) => errors.map((e) => maskError(e, services).toJSON());

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    context: (ctx): Context => ({
      principal: operations.principal(ctx.extra.socket),
      services,
      requestId: newId('req'),
    }),
    onConnect: async (ctx) => {
      const extra = ctx.extra;
      try {
        const request = extra.request!;
        const address = clientAddresses.get(request) ?? upgradeClientAddress(request, trust);
        const { principal, expiresAt } = await authenticate(ctx.connectionParams, address, request);
        operations.setPrincipal(extra.socket, principal, address);
        places.get(extra.socket)?.acknowledged();
        places.delete(extra.socket);
        // A deposit's token expires with the deposit: its page keeps following a late payment.
        if (expiresAt !== undefined && principal.kind !== 'deposit') expiry.add(extra.socket, expiresAt);
        // Closed when a credential it depends on is revoked (not rotated).
        credentials.add(principal, extra.socket);
        return true;
      } catch (err) {
        // A database refusing connections is 1013, retried by clients (HTTP answers 503); any other failure
        // that is not a refusal is the server's, logged and closed as graphql-ws closes one (4500).
        const refusal = err instanceof AppError ? err : unavailableError(err);
        if (!refusal || refusal.code === 'service_unavailable')
          services.log[refusal ? 'warn' : 'error']({ err }, 'WebSocket connection_init could not be checked');
        const [code, reason] = refusal ? closeFor(refusal) : [CLOSE_INTERNAL_ERROR, 'internal_error'];
        extra.socket.close(code, reason);
        return false;
      } finally {
        // The upgrade request and connection_init's payload (a bearer token's text) are needed only to
        // authenticate; thousands of sockets need not keep them.
        extra.request = undefined;
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
      }
    },
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
  wss.options.handleProtocols = handleProtocols;
  const router = new MessageRouter(operations, live);
  const { wsMessagesPerSecond, wsMessageBurst } = services.config;
  /** Whether a message may be read: the socket is open and within its budget (closed with 4429 if not). */
  const withinBudget = (socket: WebSocket, budget: MessageBudget): boolean => {
    if (socket.readyState !== socket.OPEN) return false; // closing: what is still in flight is not read
    if (budget.spend()) return true;
    services.log.info(
      { principal: operations.principal(socket).kind },
      'WebSocket closed: over its message budget',
    );
    socket.close(CLOSE_RATE_LIMITED, 'too_many_messages');
    return false;
  };
  /** Everything a socket's close undoes, in one listener (each listener is kept, per socket, until then). */
  const onClosed = (socket: WebSocket, state: SocketState) => {
    operations.closed(socket, state);
    heap.closed();
    if (state.principal) credentials.remove(state.principal, socket);
    expiry.remove(socket);
    live.closed(socket);
  };
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const state = operations.open(socket);
    heap.opened();
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
            if (!withinBudget(socket, budget)) return;
            router.route(socket, state, String(data), cb).catch((err) => {
              services.log.error({ err }, 'WebSocket message handling failed');
              socket.close(CLOSE_INTERNAL_ERROR, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      onClosed(socket, state);
      void closed(code, String(reason));
    });
    socket.on('error', terminateOnError);
  });
  const keepAlive = startKeepAlive(wss);
  const revocationSweep = startRevocationSweep(
    {
      keyIds: () => byKey.ids(),
      tokenIds: () => byToken.ids(),
      closeForKey: (keyId) => byKey.close(keyId, CLOSE_UNAUTHORIZED, 'key_revoked'),
      closeForToken: (tokenId) => byToken.close(tokenId, CLOSE_UNAUTHORIZED, 'token_revoked'),
    },
    services,
  );

  return {
    /** The process's live fan-out (its counters are in metrics and tests). */
    hub,
    /** How many times a wave of closed sockets started a major GC (ws-heap-release.ts). */
    heapReleases(): number {
      return heapReleases;
    },
    /** Sockets held under the per-address caps, and upgrades refused by them (ws-address-cap.ts). */
    addressCaps() {
      return { ...caps.totals(), refused: { ...caps.refused } };
    },
    /** How many open sockets are indexed by the key or token that opened them (to close them on revocation). */
    indexedSockets(): number {
      return byKey.size() + byToken.size();
    },
    /** Closes the sockets that authenticated with a revoked key. */
    closeForKey(keyId: string): void {
      byKey.close(keyId, CLOSE_UNAUTHORIZED, 'key_revoked');
    },
    /** Closes the sockets that authenticated with a revoked bearer token (by its jti). */
    closeForToken(tokenId: string): void {
      byToken.close(tokenId, CLOSE_UNAUTHORIZED, 'token_revoked');
    },
    /**
     * On shutdown: tell every client we are going away (1001), so they reconnect elsewhere. A client that has
     * not answered the close frame within `graceMs` (its network went away silently) is cut off: ws would
     * wait 30 s for it, and the stop (the HTTP drain, ledger, workers) waited behind it.
     */
    async close(graceMs: number): Promise<void> {
      keepAlive.stop();
      revocationSweep.stop();
      heap.stop();
      expiry.stop();
      hub.close();
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
    },
  };
}
