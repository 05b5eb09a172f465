import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, type GraphQLSchema, getOperationAST } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Context, Services } from '../context.js';
import { OUTCOME_UNKNOWN_MESSAGE, OutcomeUnknown } from '../db/commit-outcome.js';
import { AppError, ERROR_STATUS, type ErrorCode, errorBody, unavailableError } from '../lib/errors.js';
import type { Authenticator } from './auth.js';
import { DocumentCache } from './document-cache.js';
import { directMediaType, directParams, runDirect } from './graphql-direct.js';
import { sendError } from './graphql-errors.js';
import {
  acceptsAnAnswer,
  NOT_ACCEPTABLE,
  notAGraphqlRequest,
  unparsableGetParam,
} from './graphql-request-checks.js';
import {
  corsFor,
  documentLimits,
  introspectionAccess,
  requestIdOnRequestErrors,
  subscriptionsOnWebSocket,
  withoutSuggestions,
} from './graphql-rules.js';
import { storableText } from './storable-text.js';
import { operationParams, TrustedDocuments } from './trusted-documents.js';
import { cachedValidation } from './validation-cache.js';

type ServerContext = { req: FastifyRequest; reply: FastifyReply };

/** Turns errors into client-safe GraphQL errors: typed codes pass, everything unexpected is masked. */
export function maskError(error: unknown, services: Services): GraphQLError {
  const gqlError = error instanceof GraphQLError ? error : null;
  const original = gqlError?.originalError ?? error;
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      nodes: gqlError?.nodes,
      path: gqlError?.path,
      extensions: { code: original.code, ...(original.param ? { param: original.param } : {}) },
    });
  }
  if (gqlError && (!gqlError.originalError || isVariableError(gqlError))) {
    // Syntax, validation and variable errors are about the caller's document: safe to show as they are
    // (without field-name suggestions when those are off: they would spell out the schema). Our codes on
    // every door: one of ours stays (a refusal built as a GraphQLError), anything else (yoga's
    // GRAPHQL_PARSE_FAILED, BAD_REQUEST…) becomes invalid_request, and what yoga attaches about its
    // internals (originalError) stays inside.
    const { originalError: _original, ...extensions } = gqlError.extensions as Record<string, unknown>;
    return new GraphQLError(withoutSuggestions(gqlError.message, services.config), {
      nodes: gqlError.nodes,
      path: gqlError.path,
      extensions: { ...extensions, code: ourCode(extensions.code) ?? codeForStatus(extensions.http) },
    });
  }
  const unavailable = unavailableError(original);
  if (unavailable) {
    services.log.warn({ err: (original as Error).message }, 'a dependency is unavailable');
    return new GraphQLError(unavailable.message, {
      nodes: gqlError?.nodes,
      path: gqlError?.path,
      extensions: { code: unavailable.code },
    });
  }
  services.log.error({ err: original }, 'unexpected GraphQL error');
  return new GraphQLError(original instanceof OutcomeUnknown ? OUTCOME_UNKNOWN_MESSAGE : 'Unexpected error', {
    nodes: gqlError?.nodes,
    path: gqlError?.path,
    extensions: { code: 'internal_error' },
  });
}

/** Yoga's own request errors carry an HTTP status; the code of the shared list that has it (405, 413). */
function codeForStatus(http: unknown): ErrorCode {
  const status = (http as { status?: unknown } | undefined)?.status;
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'payload_too_large';
  return 'invalid_request';
}

function ourCode(code: unknown): ErrorCode | null {
  return typeof code === 'string' && code in ERROR_STATUS ? (code as ErrorCode) : null;
}

/**
 * A variable that could not be coerced (`$first` given 1e20, `$amount` given true): graphql-js reports it
 * before execution (no path) as a GraphQLError wrapping the scalar's GraphQLError, which may wrap the
 * TypeError a scalar's parseValue threw. Anything else underneath is unexpected and stays masked.
 */
function isVariableError(error: GraphQLError): boolean {
  if (error.path) return false;
  let inner: unknown = error.originalError;
  while (inner instanceof GraphQLError && inner.originalError) inner = inner.originalError;
  return inner instanceof GraphQLError || inner instanceof TypeError;
}

/**
 * Validation (and parse) errors skip yoga's masking; they get our codes here, so every error of /graphql
 * carries a code from the one list REST uses (src/lib/errors.ts).
 */
function oneErrorList(services: Services): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof Error) replaceParseResult(maskError(result, services));
      };
    },
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map((e) => maskError(e, services)));
      };
    },
  };
}

/** Times each execution into novapay_graphql_operation_duration_seconds (src/ops/metrics.ts). */
function operationMetrics(services: Services): Plugin {
  return {
    onExecute({ args }) {
      const metrics = services.ops.metrics;
      const started = performance.now();
      const op = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone() {
          const seconds = (performance.now() - started) / 1000;
          metrics.observeOperation(op?.name?.value, op?.operation ?? 'unknown', 'graphql', seconds);
        },
      };
    },
  };
}

export function registerGraphql(
  app: FastifyInstance,
  schema: GraphQLSchema,
  services: Services,
  auth: Authenticator,
) {
  const trusted = services.trustedDocuments ?? new TrustedDocuments();
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: !services.config.isProduction,
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: (error) => maskError(error, services) },
    // Only listed origins, never with credentials (the portal's cookie is same-origin only).
    cors: (request) => corsFor(services.config, request.headers.get('origin')),
    // Pothos' complexity plugin bounds each root field; documentLimits bounds the whole document.
    // Validation is cached by cachedValidation (first, so every later plugin's rules run through it), not by
    // yoga, whose cache kept per-request complexity refusals as a document's verdict.
    // Parsed documents (and parse errors) are kept in caches bounded by text length (document-cache.ts).
    parserAndValidationCache: {
      documentCache: new DocumentCache(),
      errorCache: new DocumentCache(),
      validationCache: false,
    },
    plugins: [
      cachedValidation(),
      trusted.plugin(),
      documentLimits(services.config),
      introspectionAccess(services.config),
      subscriptionsOnWebSocket(),
      operationMetrics(services),
      storableText(),
      oneErrorList(services),
      requestIdOnRequestErrors(),
    ],
    context: ({ req }) => ({ principal: req.principal, services, requestId: req.id }),
    // A trusted document may be named by its id alone (GraphQL over HTTP's `documentId`).
    extraParamNames: ['documentId'],
  });

  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    // Yoga's answers carry its CORS headers; the refusals made before yoga (auth, rate limit, body) get the
    // same ones, so a browser on an allowed origin can read why it was refused.
    onSend: async (req, reply) => {
      if (reply.getHeader('access-control-allow-origin')) return;
      const cors = corsFor(services.config, req.headers.origin ?? null);
      if (!cors) return;
      reply.header('access-control-allow-origin', req.headers.origin);
      reply.header('access-control-expose-headers', cors.exposedHeaders.join(', '));
      reply.header('vary', 'Origin');
    },
    preHandler: async (req, reply) => {
      const wantsGraphiql = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
      // A CORS preflight (OPTIONS) runs nothing and carries no credentials: it spends no rate-limit budget,
      // or a browser app would pay twice for each request.
      req.principal =
        wantsGraphiql || req.method === 'OPTIONS'
          ? { kind: 'anonymous' }
          : await auth.authenticate(req, reply, { merchantOnly: false });
    },
    handler: async (req, reply) => {
      if (req.method === 'POST' && !req.rawBody?.length) {
        const message = 'POST /graphql needs a JSON body such as {"query": "{ __typename }"}';
        return sendError(req, reply, 400, errorBody('invalid_request', message, req.id));
      }
      const notRequest = notAGraphqlRequest(req);
      if (notRequest) return sendError(req, reply, 400, errorBody('invalid_request', notRequest, req.id));
      // Before anything runs: yoga would execute a mutation and only then find no way to answer it (406).
      if (req.method === 'POST' && !acceptsAnAnswer(req.headers.accept)) {
        return sendError(req, reply, 406, errorBody('invalid_request', NOT_ACCEPTABLE, req.id));
      }
      const badParam = unparsableGetParam(req);
      if (badParam) {
        const message = `${badParam} must be JSON (URL-encoded), such as {"first":5}`;
        return sendError(req, reply, 400, errorBody('invalid_request', message, req.id, badParam));
      }
      trusted.check(req.principal, operationParams(req.method, req.body, req.query));
      const direct = services.config.graphqlDirectPath ? directParams(req) : null;
      const mediaType = direct && directMediaType(req.headers.accept);
      if (
        direct &&
        mediaType &&
        (await runDirect(yoga, services, maskError, req, reply, direct, mediaType))
      ) {
        return reply;
      }
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => {
        reply.header(key, value);
      });
      if (response.status === 406) {
        // Yoga's bodyless 406 (a subscription asked for JSON; a GET query accepting nothing yoga writes).
        await response.body?.cancel();
        return sendError(req, reply, 406, errorBody('invalid_request', NOT_ACCEPTABLE, req.id));
      }
      reply.status(response.status);
      // A JSON answer is one string already: sent as it is, not through the stream (a proxied Readable
      // piped by fastify) that `body` would wrap it in. Event streams and GraphiQL's page still stream.
      const json = /^application\/(graphql-response\+)?json/.test(response.headers.get('content-type') ?? '');
      reply.send(json ? await response.text() : response.body);
      return reply;
    },
  });
}
