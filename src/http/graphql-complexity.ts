import { createComplexityRule } from '@pothos/plugin-complexity';
import {
  type ArgumentNode,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { getOrSet } from '../lib/maps.js';

// The complexity limit of a GraphQL operation, on every door (the HTTP plugin in graphql-rules.ts, the
// WebSocket in ws-operations.ts): Pothos' own rule, measured with the request's variables and operation name.

/** Most fields one document may select (Pothos' breadth), the same as the builder's limit. */
export const MAX_BREADTH = 200;

/**
 * The complexity (and breadth) of a valid document with its variables (`first: $n`), Pothos' own rule: a
 * refusal is a validation error, as over the WebSocket, instead of an execution error with `data: null`.
 */
export function complexityErrors(
  config: Config,
  schema: GraphQLSchema,
  document: DocumentNode,
  params: { variables?: unknown; operationName?: string | null },
  context: unknown,
): readonly GraphQLError[] {
  const measure = () => {
    const rule = createComplexityRule({
      variableValues: (params.variables ?? {}) as Record<string, unknown>,
      operationName: params.operationName ?? undefined,
      context: context as object,
      maxComplexity: config.graphqlMaxComplexity,
      maxDepth: config.graphqlMaxDepth,
      maxBreadth: MAX_BREADTH,
    });
    try {
      return validate(schema, document, [rule]);
    } catch (err) {
      // An argument the measure reads and refuses (`first: 1000`, pagination.ts pageComplexity): its own
      // error, with its param, on every door (a throw here was a whole-request error without a code over HTTP).
      if (!(err instanceof AppError)) throw err;
      return [new GraphQLError(err.message, { extensions: { code: err.code, param: err.param } })];
    }
  };
  const bySchema = getOrSet(
    getOrSet(fixedComplexity, config, () => new WeakMap()),
    schema,
    () => new WeakMap(),
  );
  const byOperation = getOrSet(bySchema, document, () =>
    complexityUsesVariables(schema, document) ? null : new Map<string, readonly GraphQLError[]>(),
  );
  // Pothos reports variables that do not coerce as its own errors, so a verdict is shared only between
  // requests whose variables coerce: the one verdict a fixed document has for any valid variables. A name
  // that no operation of the document has (`""` included) is measured on its own as well: its refusal is
  // about that request, and such names would otherwise grow the map without bound.
  const name = sharedName(document, params.operationName);
  if (byOperation === null || name === null || !variablesCoerce(schema, document, params)) return measure();
  return getOrSet(byOperation, name, measure);
}

/** The key a verdict is shared under: '' without a name, the name when an operation has it, else null. */
function sharedName(document: DocumentNode, operationName: string | null | undefined): string | null {
  if (operationName == null) return '';
  const named = document.definitions.some(
    (d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName,
  );
  return named ? operationName : null;
}

/**
 * True when the variables coerce for every operation the complexity rule measures (the named one, or all of
 * them without a name). A request with a missing or mistyped variable is measured on its own: before, the
 * first request of a document decided for all later ones, so one without `$input` made every later
 * `transfer` with that text fail with "Variable "$input" … was not provided".
 */
function variablesCoerce(
  schema: GraphQLSchema,
  document: DocumentNode,
  params: { variables?: unknown; operationName?: string | null },
): boolean {
  const inputs = (params.variables ?? {}) as Record<string, unknown>;
  return document.definitions.every(
    (d) =>
      d.kind !== Kind.OPERATION_DEFINITION ||
      (params.operationName != null && d.name?.value !== params.operationName) ||
      !(
        'errors' in
        getVariableValues(schema, (d as OperationDefinitionNode).variableDefinitions ?? [], inputs)
      ),
  );
}

/**
 * A document's complexity errors by operation, for documents whose complexity no variable can change (most:
 * a `transfer` mutation's variables are its input), per app configuration (its limits). The document caches
 * hand the same parsed document for the same text, so a repeated operation is measured once instead of by a
 * full validation pass per request; null marks a document measured every time.
 */
const fixedComplexity = new WeakMap<
  Config,
  WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, readonly GraphQLError[]> | null>>
>();

/**
 * True when a variable reaches something the complexity depends on: an argument of a field whose complexity
 * is computed from its arguments (`first`, `ids`), or a directive (`@include(if: $x)` changes what counts).
 */
function complexityUsesVariables(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let uses = false;
  const hasVariable = (nodes: readonly ArgumentNode[] | undefined) =>
    (nodes ?? []).some((a) => {
      let found = false;
      visit(a.value, {
        Variable() {
          found = true;
        },
      });
      return found;
    });
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (
          typeof typeInfo.getFieldDef()?.extensions?.complexity === 'function' &&
          hasVariable(node.arguments)
        )
          uses = true;
      },
      Directive(node) {
        if (hasVariable(node.arguments)) uses = true;
      },
    }),
  );
  return uses;
}
