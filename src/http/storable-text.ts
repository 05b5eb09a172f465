import { type ASTNode, GraphQLError, Kind, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { findUnstorableText, isStorableText } from '../lib/text.js';

// GraphQL's share of "text PostgreSQL cannot store is a 400 at the edge" (src/lib/text.ts): string literals
// in the document (through a validation rule, so it runs wherever documents are validated) and variables
// (before execution), with the same code and message as REST and the field named in `param`.

function textError(param: string, nodes?: ASTNode[]): GraphQLError {
  return new GraphQLError(
    `${param || 'The request'} contains a character that cannot be stored (U+0000 or an unpaired UTF-16 surrogate)`,
    { nodes, extensions: { code: 'invalid_request', ...(param ? { param } : {}), http: { status: 400 } } },
  );
}

/** The argument and input-field names above a literal: `input.metadata.note`. */
function literalPath(ancestors: readonly (ASTNode | readonly ASTNode[])[]): string {
  const names: string[] = [];
  for (const a of ancestors) {
    if (Array.isArray(a)) continue;
    const node = a as ASTNode;
    if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.push(node.name.value);
  }
  return names.join('.');
}

/** Refuses string literals (`description: "a\u0000b"`) that PostgreSQL cannot store. */
export const StorableTextRule: ValidationRule = (context: ValidationContext) => ({
  StringValue(node, _key, parent, _path, ancestors) {
    // graphql-js leaves the direct parent (the ObjectField or Argument naming this value) out of ancestors.
    if (!isStorableText(node.value)) {
      context.reportError(textError(literalPath([...ancestors, parent as ASTNode]), [node]));
    }
  },
});

/** The first unstorable string among the variables, as a GraphQL error naming it, or null. */
export function variablesTextError(variables: unknown): GraphQLError | null {
  const bad = findUnstorableText(variables ?? null, '');
  return bad === null ? null : textError(bad);
}

/** The yoga plugin: the rule on every validation, the variables before every operation. */
export function storableText(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(StorableTextRule);
    },
    onParams({ params }) {
      const error = variablesTextError(params.variables);
      if (error) throw error;
    },
  };
}
