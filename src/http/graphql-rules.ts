import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentSpreadNode,
  GraphQLError,
  type InlineFragmentNode,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { complexityErrors } from './graphql-complexity.js';

// The limits every GraphQL document meets, on every door (HTTP through the yoga plugin below, the WebSocket
// in ws-operations.ts). Ordinary selections are bounded by GRAPHQL_MAX_DEPTH; introspection is left to its
// own bound, so the standard introspection query (graphql-js getIntrospectionQuery(), 15 levels from
// __schema) passes and GraphQL code generators work against the live endpoint, while nesting bombs do not:
// `ofType` chains are cut at GRAPHQL_MAX_INTROSPECTION_DEPTH, and graphql-js's MaxIntrospectionDepthRule
// (one of its specified rules) cuts fields → type → fields cycles.

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

export function documentRules(config: Config): ValidationRule[] {
  return [depthRule(config.graphqlMaxDepth), introspectionDepthRule(config.graphqlMaxIntrospectionDepth)];
}

/**
 * graphql-armor's depth rule, reporting its refusal as a validation error like any other (armor throws one
 * whose message starts with "Syntax Error:", which left the validation phase as an unexpected error).
 */
function depthRule(n: number): ValidationRule {
  return function MaxDepthRule(context: ValidationContext) {
    const onReject = [
      (_ctx: unknown, err: GraphQLError) => {
        context.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, '')));
      },
    ];
    return maxDepthRule({
      n,
      ignoreIntrospection: true,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject,
    })(context);
  };
}

/** Refuses a __schema or __type selection nested deeper than `max` levels (fragments flattened). */
export function introspectionDepthRule(max: number): ValidationRule {
  return function IntrospectionDepthRule(context: ValidationContext) {
    return {
      Field(node: FieldNode) {
        if (!INTROSPECTION_ROOTS.has(node.name.value)) return undefined;
        const depth = 1 + selectionDepth(node.selectionSet, context, new Set());
        if (depth > max) {
          context.reportError(
            new GraphQLError(`Introspection depth limit of ${max} exceeded, found ${depth}`, {
              nodes: [node],
            }),
          );
        }
        return false; // its inside is measured here, not field by field
      },
    };
  };
}

function selectionDepth(
  set: SelectionSetNode | undefined,
  ctx: ValidationContext,
  path: Set<string>,
): number {
  let deepest = 0;
  for (const s of set?.selections ?? []) deepest = Math.max(deepest, nodeDepth(s, ctx, path));
  return deepest;
}

function nodeDepth(
  s: FieldNode | InlineFragmentNode | FragmentSpreadNode,
  ctx: ValidationContext,
  path: Set<string>,
): number {
  if (s.kind === Kind.FIELD) return 1 + selectionDepth(s.selectionSet, ctx, path);
  if (s.kind === Kind.INLINE_FRAGMENT) return selectionDepth(s.selectionSet, ctx, path);
  const name = s.name.value;
  const fragment = ctx.getFragment(name);
  // A fragment cycle is NoFragmentCyclesRule's to report; here it only must not loop.
  if (!fragment || path.has(name)) return 0;
  path.add(name);
  const depth = selectionDepth(fragment.selectionSet, ctx, path);
  path.delete(name);
  return depth;
}

/** True when the document selects __schema or __type anywhere (__typename is not introspection here). */
export function usesIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (INTROSPECTION_ROOTS.has(node.name.value)) found = true;
      return found ? false : undefined;
    },
  });
  return found;
}

/**
 * The document limits as a yoga plugin; the rules are the same for every request (yoga caches by them), and
 * the complexity, which depends on the variables, is measured per request after them. Its validation errors
 * leave with our code, invalid_request, and without field suggestions when those are off (yoga returns them
 * without passing maskError).
 */
export function documentLimits(config: Config): Plugin<Context> {
  const rules = documentRules(config);
  return {
    onValidate({ addValidationRule, params, context }) {
      for (const rule of rules) addValidationRule(rule);
      return ({ valid, result, setResult }) => {
        if (valid) {
          const request = (context as { params?: { variables?: unknown; operationName?: string } }).params;
          const errors = complexityErrors(config, params.schema, params.documentAST, request ?? {}, context);
          if (errors.length > 0) setResult(errors.map((e) => withCode(e, config)));
          return;
        }
        setResult(result.map((e) => withCode(e, config)));
      };
    },
  };
}

function withCode(e: GraphQLError, config: Config): GraphQLError {
  return new GraphQLError(withoutSuggestions(e.message, config), {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    // A request error (GraphQL over HTTP): 400 for application/graphql-response+json, 200 for application/json.
    extensions: { http: { spec: true, status: 400 }, ...e.extensions, code: 'invalid_request' },
  });
}

/** Anonymous introspection is refused unless GRAPHQL_PUBLIC_INTROSPECTION (off in production by default). */
export function introspectionAccess(config: Config): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (config.graphqlPublicIntrospection) return;
      const principal = (args.contextValue as Context).principal;
      if (principal.kind !== 'anonymous' || !usesIntrospection(args.document)) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('Introspection needs a credential (an API key or a bearer token)', {
            extensions: { code: 'forbidden' },
          }),
        ],
      });
    },
  };
}

export const SUBSCRIPTIONS_ON_WEBSOCKET =
  'Subscriptions are served over the WebSocket (graphql-ws) at /graphql, where their caps apply; over HTTP only queries and mutations run';

/**
 * Subscriptions over HTTP (yoga would stream them as server-sent events) are refused before they start: the
 * contract serves them over graphql-ws only (docs/api.md), and an HTTP stream would hold no place under the
 * WebSocket's per-socket and per-key caps, so a key could open streams without bound. The WebSocket's own
 * subscriptions never reach this hook (ws-live.ts starts them itself); over HTTP the answer is one result,
 * 400 as JSON (in an event stream, one error event).
 */
export function subscriptionsOnWebSocket(): Plugin<Context> {
  return {
    onSubscribe({ setResultAndStopExecution }) {
      setResultAndStopExecution({
        errors: [
          new GraphQLError(SUBSCRIPTIONS_ON_WEBSOCKET, {
            extensions: { http: { spec: true, status: 400 }, code: 'invalid_request' },
          }),
        ],
      });
    },
  };
}

/**
 * A request error (a result without `data`: yoga's own refusals such as a mutation over GET, a subscription over
 * HTTP, a document that does not parse or validate) carries `extensions.requestId`, as the refusals made before
 * yoga do (graphql-errors.ts): the id the logs and support know the request by.
 */
export function requestIdOnRequestErrors(): Plugin {
  return {
    onResultProcess({ result, setResult, serverContext }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      if ('data' in result || !result.errors?.length) return;
      // The server context is what graphql.ts hands yoga: fastify's request and reply.
      const requestId = (serverContext as { req?: { id?: string } }).req?.id;
      if (!requestId) return;
      setResult({
        ...result,
        errors: result.errors.map(
          (e) =>
            new GraphQLError(e.message, {
              nodes: e.nodes,
              source: e.source,
              positions: e.positions,
              path: e.path,
              originalError: e.originalError,
              extensions: { ...e.extensions, requestId },
            }),
        ),
      });
    },
  };
}

const SUGGESTION = / Did you mean .+\?$/;

/** Drops graphql-js's "Did you mean …?" from a message when field suggestions are off. */
export function withoutSuggestions(message: string, config: Config): string {
  return config.graphqlFieldSuggestions ? message : message.replace(SUGGESTION, '');
}

/** CORS for /graphql: only origins in CORS_ORIGINS (`*`: any), and never with credentials. */
export function corsFor(config: Config, origin: string | null) {
  const list = config.corsOrigins;
  if (!origin || !(list.includes('*') || list.includes(origin))) return false as const;
  return {
    origin: [origin],
    credentials: false,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'x-api-key',
      'x-signature',
      'x-timestamp',
      'x-signature-version',
    ],
    exposedHeaders: [
      'x-request-id',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
    ],
    maxAge: 600,
  };
}
