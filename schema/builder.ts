import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from '../src/context.js';
import { AppError, ForbiddenError, ValidationError } from '../src/lib/errors.js';
import { decodeNodeId, encodeNodeId } from './global-id.js';

const MAX_NODES = 100;

/**
 * The type a malformed Node id decodes to. Decoding never throws: Pothos decodes `ids` when it measures the
 * complexity too (before execution), where a throw failed the whole request; `node` and `nodes` report it as
 * their field error at execution instead (docs/graphql.md "Relay").
 */
const MALFORMED = '#malformed';
const malformed = (param: string, what = param) =>
  new ValidationError(`${what} is not a Node id this API returned`, param);

// Plugins and configuration only: every type lives in its own file (Pothos complex-app layout).
export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { merchant: boolean; admin: boolean };
  Scalars: {
    // graphql-js reads an ID input (a string or an integer literal) as a string.
    ID: { Input: string; Output: string };
    Decimal: { Input: string; Output: bigint | string };
    DateTime: { Input: Date; Output: Date | string };
    Metadata: { Input: Record<string, unknown>; Output: Record<string, string | number | boolean> };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, ComplexityPlugin],
  scopeAuth: {
    authScopes: (ctx) => ({
      merchant: ctx.principal.kind === 'merchant',
      admin: ctx.principal.kind === 'admin',
    }),
    unauthorizedError: () => new ForbiddenError('This credential may not use this field'),
  },
  errors: { defaultTypes: [] },
  // Relay's Object Identification and Cursor Connections specs; every description a client sees is here, so
  // the printed schema explains itself (graphql-schema-linter checks that nothing is left undescribed).
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    encodeGlobalID: (typename, id) => encodeNodeId(typename, id),
    decodeGlobalID: (globalID) => {
      try {
        return decodeNodeId(globalID);
      } catch {
        return { typename: MALFORMED, id: globalID };
      }
    },
    nodeTypeOptions: {
      description:
        'An object with an id unique across the whole API, which `node(id:)` reads back (Relay: refetchable fragments).',
    },
    idFieldOptions: {
      description:
        'The Node id, unique across the API: `dep_…`, `pay_…`, `tx_…`, `evt_…`, `whe_…`, `mer_…` for the objects NovaPayments names, an opaque base64 id for users and their history rows. Treat it as opaque.',
    },
    nodeQueryOptions: {
      description:
        'Reads any Node by its id, with the same access rules as the field that returned it; null when this credential cannot see it or it does not exist.',
      args: { id: { description: "A Node id, as a Node's `id` field returned it." } },
      resolve: (_root, args, _ctx, _info, resolveNode) => {
        if (args.id.typename === MALFORMED) throw malformed('id');
        return resolveNode(args.id);
      },
    },
    nodesQueryOptions: {
      description:
        'Reads several Nodes at once, in the order of `ids` (null for each one this credential cannot see).',
      args: { ids: { description: "Node ids, as Nodes' `id` fields returned them (at most 100)." } },
      complexity: (args) => ({ field: 1, multiplier: args.ids.length }),
      resolve: async (_root, args, _ctx, _info, resolveNodes) => {
        if (args.ids.length > MAX_NODES) {
          throw new ValidationError(`ids may name at most ${MAX_NODES} nodes`, 'ids');
        }
        const all = args.ids;
        if (!all.some((id) => id.typename === MALFORMED)) return resolveNodes(all);
        // Each malformed id is its own entry's field error (null, at ["nodes", i]); the others are read as
        // usual. Pothos' resolveNodes reads args.ids itself, so it holds the well-formed ones for the call.
        const wellFormed = all.filter((id) => id.typename !== MALFORMED);
        (args as { ids: typeof all }).ids = wellFormed;
        const found = [...(await resolveNodes(wellFormed))];
        return all.map((id, i) =>
          id.typename === MALFORMED ? malformed('ids', `ids[${i}]`) : found.shift(),
        );
      },
    },
    pageInfoTypeOptions: {
      description: 'Where a page of a connection sits in the whole list (Relay Cursor Connections).',
    },
    hasNextPageFieldOptions: {
      description: 'True when more items follow this page (ask with `after: endCursor`).',
    },
    hasPreviousPageFieldOptions: {
      description: 'True when items come before this page (ask with `before: startCursor`, `last`).',
    },
    startCursorFieldOptions: {
      description: 'The cursor of the first item of this page; null for an empty page.',
    },
    endCursorFieldOptions: {
      description: 'The cursor of the last item of this page; null for an empty page.',
    },
    edgesFieldOptions: { description: 'The items of this page with their cursors.' },
    pageInfoFieldOptions: { description: 'Cursors and whether pages come before or after this one.' },
    cursorFieldOptions: { description: 'An opaque position in the list, for `after` or `before`.' },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    firstArgOptions: {
      description: 'Items to return from the start of the list (or after `after`), 1 to 100; 20 by default.',
    },
    afterArgOptions: {
      description: 'Returns the items after this cursor (an `endCursor` or edge `cursor`).',
    },
    lastArgOptions: {
      description: 'Items to return from the end of the list (or before `before`), 1 to 100.',
    },
    beforeArgOptions: {
      description: 'Returns the items before this cursor (a `startCursor` or edge `cursor`).',
    },
  },
  // Connections declare their own multiplier (`first`), so plain lists (edges) add no extra factor.
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 1,
    complexityError: (kind, result) => {
      const [value, max] = {
        Depth: [result.depth, result.maxDepth],
        Breadth: [result.breadth, result.maxBreadth],
        Complexity: [result.complexity, result.maxComplexity],
      }[kind];
      return new AppError(
        'invalid_request',
        `The query's ${kind.toLowerCase()} is ${value}, above the limit of ${max}`,
      );
    },
    limit: (ctx) => ({
      depth: ctx.services.config.graphqlMaxDepth,
      complexity: ctx.services.config.graphqlMaxComplexity,
      breadth: 200,
    }),
  },
});
