import { type ZodType, z } from 'zod';
import { ValidationError } from '../../lib/errors.js';
import { JsonNumber } from '../../lib/json.js';

// The legacy JSON bodies' shape, checked by zod: an object, no unknown fields (a typo such as `amout` must
// never pass silently), required fields present, each of the right JSON type. Business rules are the
// service's. The first problem becomes the 400, in this order: an unknown field (the first in the body),
// then the fields in the order the route lists them, with the messages and codes docs/api.md shows.

type Kind = 'string' | 'amount' | 'object';

/** A JSON object as parsed (JsonNumber leaves included), passed on as the same object. */
const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);

const SCHEMA: Record<Kind, ZodType> = {
  string: z.string(),
  // A JSON number (as the exact text the merchant wrote) or a decimal string: the money parser reads both.
  amount: z.union([z.instanceof(JsonNumber).transform((n) => n.text), z.string()]),
  object: z.custom<Record<string, unknown>>(isJsonObject),
};

const WRONG_TYPE: Record<Kind, string> = {
  string: 'must be a string',
  amount: 'must be a number or a decimal string',
  object: 'must be a JSON object',
};

export type BodySpec = Record<string, { kind: Kind; required: boolean }>;

/** A checker for one route's body: returns the fields given (amounts as text; null optional ones left out). */
export function restBody(spec: BodySpec): (body: unknown) => Record<string, unknown> {
  const schema = z.strictObject(
    Object.fromEntries(
      Object.entries(spec).map(([k, f]) => [k, f.required ? SCHEMA[f.kind] : SCHEMA[f.kind].nullish()]),
    ),
  );
  return (body) => {
    if (body === undefined) throw new ValidationError('A JSON body is required');
    if (!isJsonObject(body)) throw new ValidationError('The body must be a JSON object');
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw firstProblem(parsed.error.issues, body, spec);
    return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== null && v !== undefined));
  };
}

function firstProblem(issues: z.core.$ZodIssue[], body: Record<string, unknown>, spec: BodySpec) {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const k = unknown.keys[0]!.slice(0, 64);
    return new ValidationError(`Unknown field '${k}'`, k);
  }
  // zod reports the fields in the order of the spec.
  const k = String(issues[0]!.path[0]);
  const { kind } = spec[k]!;
  const code = kind === 'amount' ? 'invalid_amount' : 'invalid_request';
  if (body[k] === undefined || body[k] === null) return new ValidationError(`${k} is required`, k, code);
  return new ValidationError(`${k} ${WRONG_TYPE[kind]}`, k, code);
}
