import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from '../src/context.js';
import { AppError, ForbiddenError } from '../src/lib/errors.js';

// Plugins and configuration only: every type lives in its own file (Pothos complex-app layout).
export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { merchant: boolean; admin: boolean };
  Scalars: {
    Decimal: { Input: string; Output: bigint };
    DateTime: { Input: Date; Output: Date };
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
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeFieldOptions: { nullable: false },
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
