import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

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
        let byDocument = bySchema.get(schema);
        if (!byDocument) {
          byDocument = new WeakMap();
          bySchema.set(schema, byDocument);
        }
        let byRules = byDocument.get(document);
        if (!byRules) {
          byRules = new Map();
          byDocument.set(document, byRules);
        }
        const key = ruleSetKey(rules);
        const cached = byRules.get(key);
        if (cached) return cached;
        const errors = validateFn(schema, document, rules, ...rest) ?? [];
        byRules.set(key, errors);
        return errors;
      });
    },
  };
}
