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

const namesOf = (rules: readonly ValidationRule[] | undefined) => rules?.map((r) => r.name).join(',') ?? '';

/** Rule lists seen lately (the same ~30 functions, in a new array each request) and their key. */
const KNOWN_RULE_SETS = 8;

/**
 * The key of a rule set: its rules' names in order. Every request hands a new array of the same functions,
 * and reading ~30 names and joining them into a fresh string that the map must then hash cost ~10 µs of
 * a GraphQL transfer; a list that holds the very same functions as one seen before gets that one's key (the
 * same text, so the same verdicts), the rest are named as before.
 */
export function ruleSetKeys(): (rules: readonly ValidationRule[] | undefined) => string {
  const known: { rules: readonly ValidationRule[]; key: string }[] = [];
  const same = (a: readonly ValidationRule[], b: readonly ValidationRule[]) =>
    a.length === b.length && a.every((rule, i) => rule === b[i]);
  return (rules) => {
    if (!rules) return '';
    const hit = known.find((k) => same(k.rules, rules));
    if (hit) return hit.key;
    const key = namesOf(rules);
    known.unshift({ rules: [...rules], key });
    if (known.length > KNOWN_RULE_SETS) known.pop();
    return key;
  };
}

/** The first plugin of the list: it sets the validation function every later hook's rules run through. */
export function cachedValidation(): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Validated>>();
  const ruleSetKey = ruleSetKeys();
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
