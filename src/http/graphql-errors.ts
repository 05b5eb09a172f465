import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../lib/errors.js';

// Every answer of /graphql is in GraphQL's shape, including the refusals that happen before GraphQL runs (a
// bad signature, a missing key, a spent rate limit, a body that is not JSON, a shutting-down server): clients
// such as urql and Apollo read `errors[0].message` and `extensions.code` from the body whatever the status,
// and a REST-shaped body would reach them as "[Network] Unauthorized". The status stays the one of the
// shared list (src/lib/errors.ts), and the media type follows the GraphQL over HTTP spec: the one the client
// accepts, application/graphql-response+json when it asks for it.

export const GRAPHQL_PATH = '/graphql';
const RESPONSE_JSON = 'application/graphql-response+json';

export function isGraphqlRequest(req: FastifyRequest): boolean {
  return req.url.split('?')[0] === GRAPHQL_PATH;
}

/** application/graphql-response+json when the client lists it in Accept, else application/json (as yoga). */
export function graphqlMediaType(accept: string | undefined): string {
  const ranges = (accept ?? '').split(',').map((r) => r.split(';')[0]!.trim().toLowerCase());
  return ranges.includes(RESPONSE_JSON) ? RESPONSE_JSON : 'application/json';
}

/** `{"errors":[{message, extensions: {code, param?, requestId}}]}`: the REST body's fields, where GraphQL keeps them. */
export function graphqlErrors(body: ErrorBody) {
  const { code, message, param, requestId } = body.error;
  return { errors: [{ message, extensions: { code, ...(param ? { param } : {}), requestId } }] };
}

/** Sends an error body, in GraphQL's shape when the request is for /graphql. */
export function sendError(req: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  if (!isGraphqlRequest(req)) return reply.code(status).send(body);
  return reply
    .code(status)
    .type(`${graphqlMediaType(req.headers.accept)}; charset=utf-8`)
    .send(JSON.stringify(graphqlErrors(body)));
}
