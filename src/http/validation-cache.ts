import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { getOrSet } from '../lib/maps.js';

// Validation results cached by schema, parsed document and rule set: what yoga's own validation cache did, minus
// its flaw for us. Yoga's cache runs after the plugins' validation hooks and stored the result they left, so
// the complexity refusal that documentLimits adds per request (it depends on the variables and the operation
// name) was kept as the document's verdict: after `first: 1000` was refused once, `first: 10` with the same
// text was refused too, and operation A of a document answered operation B's refusal. This cache holds only
// graphql-js's verdict on the document and its rules; yoga's is off (createYoga's parserAndValidationCache)
// and its parse cache, which hands the same DocumentNode for the same text, stays.

type Validated = Map<string, readonly GraphQLError[]>;

const ruleSetKey = (rules: readonly ValidationRule[] | undefined) =>
  rules?.map((r) => r.name).join(',') ?? '';

/** The first plugin of the list: it sets the validation function every later hook's rules run through. */
export function cachedValidation(): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Validated>>();
  return {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((schema, document, rules, ...rest) => {
        const byRules = getOrSet(
          getOrSet(bySchema, schema, () => new WeakMap()),
          document,
          () => new Map(),
        );
        return getOrSet(byRules, ruleSetKey(rules), () => validateFn(schema, document, rules, ...rest) ?? []);
      });
    },
  };
}
