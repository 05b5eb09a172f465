import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Principal, Services } from '../context.js';
import { AppError, errorBody } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { JsonSyntaxError, parseGraphqlJson, parseJsonLossless } from '../lib/json.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    principal: Principal;
  }
}

const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The Fastify edge: request ids, JSON bodies kept raw for HMAC, one error format, JSON 404s. */
export function createServer(services: Services): FastifyInstance {
  const { config, log } = services;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
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

  app.addHook('onRequest', async (req, reply) => {
    req.principal = ANONYMOUS;
    reply.header('X-Request-Id', req.id);
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

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('not_found', `No route ${req.method} ${req.url.split('?')[0]}`, req.id));
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    const { status, body } = toErrorResponse(err, req, config.bodyLimitBytes);
    if (err instanceof AppError && err.replayed) reply.header('Idempotent-Replayed', 'true');
    if (status >= 500) req.log.error({ err, requestId: req.id }, 'unhandled error');
    reply.code(status).send(body);
  });

  return app;
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
  const statusCode = (err as FastifyError).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: 400, body: errorBody('invalid_request', (err as Error).message, req.id) };
  }
  return { status: 500, body: errorBody('internal_error', 'Something went wrong on our side', req.id) };
}
