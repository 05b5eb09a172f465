import { STATUS_CODES } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Principal, Services } from '../context.js';
import { OUTCOME_UNKNOWN_MESSAGE, OutcomeUnknown } from '../db/commit-outcome.js';
import { AppError, errorBody, unavailableError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { JsonSyntaxError, parseGraphqlJson, parseJsonLossless } from '../lib/json.js';
import { trustProxyFn } from './client-address.js';
import { sendError } from './graphql-errors.js';
import { trackAllowedMethods } from './method-not-allowed.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    principal: Principal;
  }
  interface FastifyInstance {
    /**
     * The first step of a graceful stop, before `close()`: every request from now on is answered 503 with
     * `Connection: close`, so clients leave their keep-alive connections on an answer instead of finding
     * them reset by `close()`. Resolves when no request has arrived for a moment, or after `maxMs`.
     */
    drainConnections(maxMs: number): Promise<void>;
  }
}

/** How long without a new request counts as "clients have left" during the drain. */
const DRAIN_QUIET_MS = 250;

const ANONYMOUS: Principal = { kind: 'anonymous' };

/**
 * Resolves after the event loop's next poll phase, in which libuv accepts every connection waiting in a
 * listener's accept queue (setImmediate runs after the poll phase, so the second one runs after a whole
 * poll phase that began after this call).
 */
function acceptQueued(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** The Fastify edge: request ids, JSON bodies kept raw for HMAC, one error format, JSON 404s. */
export function createServer(services: Services): FastifyInstance {
  const { config, log } = services;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // One rule for every door (client-address.ts): the WebSocket upgrade reads its address the same way.
    trustProxy: trustProxyFn(config.trustProxy),
    genReqId: () => newId('req'),
    requestIdHeader: false,
    // While closing, requests still arriving on open connections get our own 503 (the onRequest hook below),
    // not Fastify's plain one.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Errors Fastify raises before routing (a malformed URL, a path parameter over maxParamLength), and
    // malformed HTTP that never becomes a request, answered in our error format too.
    frameworkErrors: (err, req, reply) => {
      const { status, message } = frameworkError(err);
      sendError(
        req,
        (reply as FastifyReply).header('X-Request-Id', req.id),
        status,
        errorBody('invalid_request', message, req.id),
      );
    },
    clientErrorHandler: (err, socket) => answerClientError(err as unknown as ClientError, socket, log),
  });

  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('principal', null as never);

  // Bodies are kept as raw bytes for the signature, then parsed. Neither face lets JSON.parse round money
  // (see lib/json.ts): REST keeps every JSON number as its text; GraphQL keeps safe integers as numbers (for
  // Int arguments) and every other number as its text, which the Decimal scalar reads exactly. Yoga uses
  // the parsed body as it is (request.body), so the variables it sees are these.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    req.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, jsonParserFor(req.url)(body.toString('utf8')));
    } catch (err) {
      done(new JsonSyntaxError((err as Error).message) as unknown as FastifyError, undefined);
    }
  });

  let closing = false;
  let lastRequestAt = 0;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.decorate('drainConnections', async (maxMs: number) => {
    closing = true;
    // Stop accepting new connections (a client is refused at connect, before it sends anything), but leave
    // the open ones be: each gets its next request answered with 503 and `Connection: close`.
    // http.Server.close would also close the idle keep-alive ones, which a client may be writing a request
    // to at that very moment (it would see a reset after sending). Fastify's close later finds the listener
    // closed, which it expects.
    // The kernel completes a client's handshake before the server accepts it, so the client may already
    // have written its request into a connection still waiting in the accept queue (under load, for some
    // milliseconds); closing the listener resets those. Accept what is queued first: one full turn of the
    // event loop, whose poll phase accepts every queued connection; only those arriving after it are reset.
    await acceptQueued();
    if (app.server.listening) NetServer.prototype.close.call(app.server);
    const open = () =>
      new Promise<number>((resolve) => app.server.getConnections((err, n) => resolve(err ? 0 : n)));
    const started = Date.now();
    // Until every connection has been answered and closed, or nothing came for a while and none is left.
    while (
      Date.now() - started < maxMs &&
      ((await open()) > 0 || Date.now() - lastRequestAt < DRAIN_QUIET_MS)
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    req.principal = ANONYMOUS;
    reply.header('X-Request-Id', req.id);
    // A tenant's answers are for that caller alone: no shared cache may keep one and hand it to the next caller
    // of the URL. REST's X-API-Key is not a credential to caches (only Authorization is), and a 200 to a GET
    // without Cache-Control may be cached heuristically. Refusals too (they tell what exists).
    if (isApiPath(req.url)) reply.header('Cache-Control', 'no-store');
    lastRequestAt = Date.now();
    if (closing) {
      // Fastify has stopped accepting connections; this request came on one still open. Nothing has run
      // for it, so a retry (on another instance) is safe.
      reply.header('connection', 'close').header('retry-after', '1');
      return sendError(
        req,
        reply,
        503,
        errorBody('service_unavailable', 'The server is shutting down; retry the request', req.id),
      );
    }
    return undefined;
  });

  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        requestId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        latencyMs: Math.round(reply.elapsedTime * 100) / 100,
        merchantId: req.principal?.kind === 'merchant' ? req.principal.merchantId : undefined,
        mode: req.principal?.kind === 'merchant' ? req.principal.mode : undefined,
      },
      'request',
    );
  });

  const allowedMethods = trackAllowedMethods(app);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allow = allowedMethods(path);
    // A route that takes this method and still found nothing (a missing file) is a plain 404.
    if (allow.length > 0 && !allow.includes(req.method)) {
      reply.header('Allow', allow.join(', '));
      const message = `${path} does not take ${req.method}; use ${allow.join(' or ')}`;
      sendError(req, reply, 405, errorBody('method_not_allowed', message, req.id));
      return;
    }
    sendError(req, reply, 404, errorBody('not_found', `No route ${req.method} ${path}`, req.id));
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    const { status, body } = toErrorResponse(err, req, config.bodyLimitBytes);
    if (err instanceof AppError && err.replayed) reply.header('Idempotent-Replayed', 'true');
    if (status === 503) {
      reply.header('retry-after', '1');
      req.log.warn({ err: (err as Error).message, requestId: req.id }, 'a dependency is unavailable');
    } else if (status >= 500) req.log.error({ err, requestId: req.id }, 'unhandled error');
    sendError(req, reply, status, body);
  });

  return app;
}

/** The API's own paths (REST and GraphQL), whose answers belong to the caller. */
export function isApiPath(url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === '/graphql' || path.startsWith('/graphql/') || path.startsWith('/api/');
}

/** Fastify's pre-routing errors as a status and a message for the caller. */
export function frameworkError(err: FastifyError): { status: number; message: string } {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return { status: 414, message: 'A path parameter is too long' };
  if (err.code === 'FST_ERR_BAD_URL') return { status: 400, message: 'The URL is not valid' };
  return { status: 400, message: 'The request could not be routed' };
}

/**
 * Node's HTTP parser refused the bytes (no request exists, so no hook runs): answer in our error format on
 * the raw socket and close it. A request line longer than the header limit is a URI too long (414); a
 * request whose headers are, 431. The answer's X-Request-Id is logged in a `request` line like every other
 * answer's (no route, no method: `parseError` is the parser's code), so the id a caller quotes can be found.
 */
type ClientError = Error & { code?: string; rawPacket?: Buffer };

export function answerClientError(
  err: ClientError,
  socket: Duplex,
  log?: Pick<FastifyBaseLogger, 'info'>,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = 'The request is not valid HTTP';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_HEADERS_TIMEOUT') {
    status = 408;
    message = 'The request took too long to arrive';
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    const lineEnd = err.rawPacket?.indexOf('\r\n') ?? -1;
    const uriTooLong = lineEnd < 0 || lineEnd > 8192;
    status = uriTooLong ? 414 : 431;
    message = uriTooLong ? 'The URL is too long' : 'The request headers are too large';
  } else if (err.code === 'HPE_URI_TOO_LONG' || err.code === 'HPE_INVALID_URL') {
    status = err.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
    message = err.code === 'HPE_URI_TOO_LONG' ? 'The URL is too long' : 'The URL is not valid';
  }
  const requestId = newId('req');
  const body = JSON.stringify(errorBody('invalid_request', message, requestId));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  log?.info({ requestId, route: 'unknown', status, parseError: err.code }, 'request');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function jsonParserFor(url: string): (text: string) => unknown {
  if (url.startsWith('/api/')) return parseJsonLossless;
  if (url.split('?')[0] === '/graphql') return parseGraphqlJson;
  return JSON.parse;
}

/** 65536 → "64 KB", 1048576 → "1 MB", 70000 → "70000 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1_048_576 && n % 1_048_576 === 0) return `${n / 1_048_576} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  return `${n} bytes`;
}

export function toErrorResponse(err: unknown, req: FastifyRequest, bodyLimitBytes: number) {
  if (err instanceof AppError) {
    return { status: err.status, body: errorBody(err.code, err.message, req.id, err.param) };
  }
  if (err instanceof JsonSyntaxError) {
    return { status: 400, body: errorBody('invalid_request', 'The request body is not valid JSON', req.id) };
  }
  const code = (err as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: errorBody(
        'payload_too_large',
        `The request body is larger than ${formatBytes(bodyLimitBytes)}`,
        req.id,
      ),
    };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 400,
      body: errorBody('invalid_request', 'Content-Type must be application/json', req.id),
    };
  }
  const unavailable = unavailableError(err);
  if (unavailable) return { status: 503, body: errorBody(unavailable.code, unavailable.message, req.id) };
  const statusCode = (err as FastifyError).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: 400, body: errorBody('invalid_request', (err as Error).message, req.id) };
  }
  if (err instanceof OutcomeUnknown)
    return { status: 500, body: errorBody('internal_error', OUTCOME_UNKNOWN_MESSAGE, req.id) };
  return { status: 500, body: errorBody('internal_error', 'Something went wrong on our side', req.id) };
}
