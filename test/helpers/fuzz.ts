import fc from 'fast-check';
import { deref, type Json } from './openapi-doc.js';

// Arbitraries for the property-based API tests: valid values drawn from a JSON schema of docs/openapi.yaml
// (the subset the document uses), and hostile values an attacker would send instead. A request is built
// valid and then, often, spoiled in one place: that is where bugs hide (a good request beside a bad one, a
// good body with one bad field).

/** How many property runs: short in CI, long with `npm run fuzz` (FUZZ_RUNS=…). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 12);
/** A fixed seed replays a failure (fast-check prints the seed and path of any counterexample). */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

export function fuzzParams(): fc.Parameters<unknown> {
  return {
    numRuns: FUZZ_RUNS,
    ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}),
    endOnFailure: true,
  };
}

/** Values that have broken parsers somewhere: control characters, surrogates, huge and odd numbers, built-ins. */
export const hostileString = fc.constantFrom(
  'x\u0000y',
  '\ud800',
  'a\udc00b',
  '\u202e',
  '',
  ' ',
  'x'.repeat(600),
  '%00',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  "'; drop table accounts; --",
  '{"$gt":""}',
  '😀'.repeat(100),
  '\n',
);

export const hostileNumberText = fc.constantFrom(
  '0',
  '-1',
  '1e3',
  '1E-2',
  '0.001',
  '00.5',
  '1.',
  '.5',
  '1e400',
  '-0',
  '99999999999999999999999999',
  '1.0000000000000000000001',
  'NaN',
  'Infinity',
  '0x10',
  ' 1',
);

/** Any JSON value of an unexpected kind, as JSON text. */
export const hostileJson: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  hostileNumberText.filter((t) => /^-?\d/.test(t) && !t.startsWith('0x') && !/^\d+\.$/.test(t)),
  fc.constantFrom('null', 'true', '[]', '[1,2]', '{}', '{"a":{"b":{"c":1}}}', '{"__proto__":{"x":1}}'),
);

/** The JSON text of a value drawn valid from `schema`. Numbers stay exact text (lossless on the server). */
export function fromSchema(schemaRef: Json, depth = 0): fc.Arbitrary<string> {
  const schema = deref(schemaRef);
  if (depth > 6) return fc.constant('null');
  if (schema.const !== undefined) return fc.constant(JSON.stringify(schema.const));
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]).map((v) => JSON.stringify(v)));
  if (schema.oneOf || schema.anyOf) {
    const members = (schema.oneOf ?? schema.anyOf) as Json[];
    return fc.oneof(...members.map((m) => fromSchema(m, depth + 1)));
  }
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['string'];
  return fc.oneof(...types.map((type) => fromType(type, schema, depth)));
}

function fromType(type: string, schema: Json, depth: number): fc.Arbitrary<string> {
  switch (type) {
    case 'null':
      return fc.constant('null');
    case 'boolean':
      return fc.boolean().map(String);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000 }).map(String);
    case 'number':
      return fc
        .tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 99 }))
        .filter(([w, f]) => w + f > 0)
        .map(([w, f]) => (f === 0 ? String(w) : `${w}.${String(f).padStart(2, '0')}`));
    case 'object':
      return objectFromSchema(schema, depth);
    default:
      return stringFromSchema(schema).map((s) => JSON.stringify(s));
  }
}

function stringFromSchema(schema: Json): fc.Arbitrary<string> {
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    return fc.stringMatching(re).filter((s) => s.length <= (schema.maxLength ?? 64) && re.test(s));
  }
  if (schema.examples?.length) return fc.constantFrom(...(schema.examples as string[]));
  return fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

function objectFromSchema(schema: Json, depth: number): fc.Arbitrary<string> {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  if (Object.keys(props).length === 0 && schema.additionalProperties) {
    // A map (metadata): a few keys matching propertyNames.
    const key = schema.propertyNames ? stringFromSchema(schema.propertyNames) : fc.string({ maxLength: 10 });
    return fc.dictionary(key, fromSchema(schema.additionalProperties, depth + 1), { maxKeys: 4 }).map(
      (d) =>
        `{${Object.entries(d)
          .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
          .join(',')}}`,
    );
  }
  const required = new Set<string>(schema.required ?? []);
  const entries = Object.entries(props).map(([k, s]) => {
    const value = fromSchema(s, depth + 1);
    return required.has(k)
      ? value.map((v) => [k, v] as const)
      : fc.option(value, { nil: undefined }).map((v) => [k, v] as const);
  });
  return fc.tuple(...entries).map((pairs) => {
    const fields = pairs.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${v}`);
    return `{${fields.join(',')}}`;
  });
}

/** One way to spoil a JSON object's text: a hostile field value, an unknown field, a missing field. */
export type Spoil =
  | { kind: 'replace'; field: string; json: string }
  | { kind: 'extra'; field: string; json: string }
  | { kind: 'drop'; field: string }
  | { kind: 'whole'; text: string };

export function spoilArbitrary(fields: string[]): fc.Arbitrary<Spoil> {
  const field = fc.constantFrom(...fields);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), field, json: hostileJson }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('extra' as const),
        field: fc.oneof(
          fc.constantFrom('constructor', '__proto__', 'toString', 'amout', 'hasOwnProperty', 'x\u0000'),
          fc.string({ minLength: 1, maxLength: 12 }),
        ),
        json: hostileJson,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), field }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('whole' as const),
        text: fc.constantFrom('', '5', '"x"', '[]', 'null', '{', '{"a":1,}', '\u0000', '{"amount":1e400}'),
      }),
    },
  );
}

/** Applies a spoil to the text of a JSON object (built by `fromSchema`, so fields are top-level keys). */
export function spoil(text: string, s: Spoil): string {
  if (s.kind === 'whole') return s.text;
  const obj = JSON.parse(text) as Record<string, unknown>;
  // A Map, not an object: a field named __proto__ must stay a field.
  const raw = new Map<string, string>();
  for (const k of Object.keys(obj)) raw.set(k, JSON.stringify(obj[k]));
  // Keep exact number texts: re-read them from the original text.
  for (const m of text.matchAll(/"([^"\\]+)":(-?\d[\d.eE+-]*)/g)) raw.set(m[1]!, m[2]!);
  if (s.kind === 'drop') raw.delete(s.field);
  else raw.set(s.field, s.json);
  return `{${[...raw].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}
