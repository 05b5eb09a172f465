import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Context as WsContext } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Principal, Services } from '../context.js';
import { AppError, unavailableError } from '../lib/errors.js';
import type { Authenticator } from './auth.js';
import { budgetAddress, type TrustProxyFn, trustProxyFn, upgradeClientAddress } from './client-address.js';
import { type AddressPlace, AddressSockets, refusalLog, refuseUpgrade } from './ws-address-cap.js';
import type { SocketExpiry } from './ws-expiry.js';
import type { SocketOperations } from './ws-operations.js';
import type { CredentialSockets } from './ws-socket-index.js';

// A socket's way in (ws.ts mounts it): the upgrade request, then graphql-ws's connection_init.
// Before anything else, one client address may hold only so many sockets (ws-address-cap.ts): past the cap,
// the upgrade is answered with HTTP 429 and no socket is made.
// The socket then authenticates in connection_init: {token} (a bearer token) or
// {apiKey, timestamp, signature[, signatureVersion]}, with the checks of the HTTP door: the key's IP allow-list
// against the client address of the upgrade request (TRUST_PROXY applies), the signature, and one unit of the
// credential's rate limit. A refusal closes the socket: 4403 `ip_not_allowed`, 4429 `rate_limited`, 4401
// anything else (the reason is the error code).

/** What graphql-ws's server is given with each socket; the upgrade request only until connection_init. */
export type SocketExtra = { socket: WebSocket; request?: IncomingMessage };

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_IP_NOT_ALLOWED = 4403;
export const CLOSE_RATE_LIMITED = 4429;
/** A dependency (PostgreSQL) refused the check: graphql-ws clients retry 1013, unlike 4401 and 4429. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_INTERNAL_ERROR = 4500;

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

/** What the upgrade left for connection_init, and the per-address caps it counts sockets under. */
export interface Upgrades {
  caps: AddressSockets;
  /** Each socket's place under the per-address caps, to mark it acknowledged (then forgotten). */
  places: WeakMap<WebSocket, AddressPlace>;
  /** The client address of each upgrade request, read once (TRUST_PROXY applied) for the cap and the checks. */
  clientAddresses: WeakMap<IncomingMessage, string>;
  trust: TrustProxyFn;
}

/** Answers the server's upgrade requests: one to /graphql, within the per-address caps, becomes a socket. */
export function handleUpgrades(server: Server, wss: WebSocketServer, services: Services): Upgrades {
  const trust = trustProxyFn(services.config.trustProxy);
  const caps = new AddressSockets({
    maxPending: services.config.wsMaxPendingPerAddress,
    maxOpen: services.config.wsMaxSocketsPerAddress,
  });
  const places = new WeakMap<WebSocket, AddressPlace>();
  const clientAddresses = new WeakMap<IncomingMessage, string>();
  const logRefusal = refusalLog((fields, message) => services.log.warn(fields, message));

  server.on('upgrade', (req, socket, head) => {
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
  return { caps, places, clientAddresses, trust };
}

/** Who opened the socket, and when its bearer token expires (ms since the epoch; none for an API key). */
async function authenticate(
  auth: Authenticator,
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

/** Where an accepted connection_init leaves its socket. */
export interface ConnectedSockets {
  operations: SocketOperations;
  expiry: SocketExpiry;
  credentials: CredentialSockets;
}

/** graphql-ws's onConnect: authenticates connection_init, or closes the socket with the refusal's code. */
export function connectionInit(
  auth: Authenticator,
  services: Services,
  upgrades: Upgrades,
  { operations, expiry, credentials }: ConnectedSockets,
) {
  const { places, clientAddresses, trust } = upgrades;
  return async (ctx: WsContext<Record<string, unknown> | undefined, SocketExtra>): Promise<boolean> => {
    const extra = ctx.extra;
    try {
      const request = extra.request!;
      const address = clientAddresses.get(request) ?? upgradeClientAddress(request, trust);
      const { principal, expiresAt } = await authenticate(auth, ctx.connectionParams, address, request);
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
  };
}
