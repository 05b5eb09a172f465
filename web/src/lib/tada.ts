import { initGraphQLTada, type ResultOf, type VariablesOf } from 'gql.tada';
import type { introspection } from '../graphql-env.d.ts';

// gql.tada over this API's schema (src/graphql-env.d.ts, generated from schema/schema.graphql by
// `npm run schema:print`): every page's documents are written with `graphql()` and typed from it. Kept apart
// from the network code so tests can import the documents alone.

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    /** Exact decimal text, such as "4520.00": never parsed into a float here. */
    Decimal: string;
    DateTime: string;
    ID: string;
    Metadata: Record<string, string | number | boolean>;
    JSON: unknown;
  };
}>();

export type { ResultOf, VariablesOf };
