import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DocumentNode, type ExecutionResult, getOperationAST, parse } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Context, Services } from '../context.js';
import { DocumentCache } from './document-cache.js';
import { corsFor } from './graphql-rules.js';
import { variablesTextError } from './storable-text.js';

// The direct path of POST /graphql. A plain JSON request (a query text, optional variables and operationName,
// no documentId or extensions, an Accept of one JSON type or none) runs through yoga's own
// operation pipeline, `yoga.getEnveloped` (the graphql-ws integration's entry point): the same validation
// cache, the same plugins (document limits, complexity, stored-text rule, introspection access,
// error masking, metrics) and yoga's own result serialiser (`processRegularResult`: status, content type and
// body as yoga writes them). What it skips is the fetch-API envelope around them: a whatwg Request built from
// the Node request, the request parser, the onParams hooks and a whatwg Response read back into Fastify,
// about a sixth of a GraphQL transfer's CPU. Everything else (GET, GraphiQL, persisted ids, preflights, batches,
// anything yoga would refuse, any document that does not parse or validate) goes through yoga whole, so its
// answers stay yoga's; test/integration/graphql-direct.test.ts compares the two paths request by request.

type ServerContext = { req: FastifyRequest; reply: FastifyReply };
type Yoga = YogaServerInstance<ServerContext, Context>;

export interface DirectParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const MEDIA_TYPES = new Map([
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json', 'application/graphql-response+json'],
]);

const PARAM_NAMES = new Set(['query', 'variables', 'operationName']);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The media type yoga would answer with, for an Accept header naming one JSON type (or none); else null. */
export function directMediaType(accept: string | undefined): string | null {
  const asked = (accept ?? '*/*')
    .replace(/\s/g, '')
    .toLowerCase()
    .replace(/;charset=utf-8$/, '');
  return MEDIA_TYPES.get(asked) ?? null;
}

/** The request's operation, when it is one the direct path runs exactly as yoga would; else null. */
export function directParams(req: FastifyRequest): DirectParams | null {
  if (req.method !== 'POST') return null;
  const body = req.body;
  if (!isPlainObject(body)) return null;
  for (const key of Object.keys(body)) if (!PARAM_NAMES.has(key)) return null;
  const { query, variables, operationName } = body;
  if (typeof query !== 'string' || query === '') return null;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variablesTextError(variables)) return null;
  return body as unknown as DirectParams;
}

const documents = new DocumentCache<DocumentNode | null>();

/**
 * The document of a query text, or null when it does not parse (yoga then answers with its error). Parsed
 * here, not by yoga's parse: a parse error cached by yoga from outside its request pipeline would lose what
 * its request hooks add to it (the 400 status), and the next request with that text would get the bare error.
 */
function parsed(text: string): DocumentNode | null {
  let document = documents.get(text);
  if (document !== undefined) return document;
  try {
    document = parse(text);
  } catch {
    document = null;
  }
  documents.set(text, document);
  return document;
}

/**
 * The CORS headers yoga's CORS plugin (@whatwg-node/server's getCORSHeadersByRequestAndOptions) writes on an
 * answer to an allowed origin, for the options corsFor gives: one origin, named as it is (so no Vary), no
 * credentials header, the methods, request headers, exposed headers and max age. None for any other origin.
 */
function corsHeaders(config: Config, origin: string | undefined): Record<string, string> | null {
  const cors = corsFor(config, origin ?? null);
  if (!cors) return null;
  return {
    'access-control-allow-origin': cors.origin[0]!,
    'access-control-allow-methods': cors.methods.join(', '),
    'access-control-allow-headers': cors.allowedHeaders.join(', '),
    'access-control-expose-headers': cors.exposedHeaders.join(', '),
    'access-control-max-age': String(cors.maxAge),
  };
}

/** yoga's serialiser writes into a Response; this one keeps what it was given. */
class Captured {
  constructor(
    readonly body: string,
    readonly init: { status: number; headers: Record<string, string> },
  ) {}
}
const CAPTURE = { Response: Captured } as unknown as Parameters<typeof processRegularResult>[1];

/**
 * Runs the operation and answers, or returns false without side effects when yoga must answer instead (a
 * document that does not parse, no operation to pick, a subscription, a document that does not validate).
 */
export async function runDirect(
  yoga: Yoga,
  services: Services,
  maskError: (error: unknown, services: Services) => Error,
  req: FastifyRequest,
  reply: FastifyReply,
  params: DirectParams,
  mediaType: string,
): Promise<boolean> {
  const document = parsed(params.query);
  if (!document) return false;
  // Yoga refuses a request whose operation it cannot pick right after parsing (usePreventMutationViaGET),
  // before validation measures the complexity of an operation that is not there.
  const operation = getOperationAST(document, params.operationName ?? undefined);
  if (!operation || operation.operation === 'subscription') return false;
  const enveloped = yoga.getEnveloped({ req, reply, params } as never);
  try {
    if (enveloped.validate(enveloped.schema, document).length > 0) return false;
  } catch {
    return false; // a rule that throws (Pothos' complexity on a null list argument): yoga masks it
  }
  let result: ExecutionResult;
  try {
    const contextValue = await enveloped.contextFactory();
    result = (await enveloped.execute({
      schema: enveloped.schema,
      document,
      contextValue,
      variableValues: params.variables,
      operationName: params.operationName,
    })) as ExecutionResult;
  } catch (error) {
    // What yoga does with a thrown error (handleError with our maskError): one masked error, no data.
    result = { errors: [maskError(error, services) as never] };
  }
  const answer = processRegularResult(result, CAPTURE, mediaType) as unknown as Captured;
  reply.status(answer.init.status);
  for (const [name, value] of Object.entries(answer.init.headers)) reply.header(name, value);
  const cors = corsHeaders(services.config, req.headers.origin);
  if (cors) for (const [name, value] of Object.entries(cors)) reply.header(name, value);
  reply.send(answer.body);
  return true;
}
