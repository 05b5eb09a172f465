import { parseDate } from '../../lib/dates.js';
import { ValidationError } from '../../lib/errors.js';
import { exactNumber, JsonNumber } from '../../lib/json.js';
import { assertStorableText, parseOptionalText } from '../../lib/text.js';
import type { Metadata } from './types.js';

// Shared by every face: GraphQL resolvers and REST adapters hand raw values to the service, which
// validates them here and answers with a precise code and the offending field.

const METADATA_MAX_KEYS = 20;
const METADATA_MAX_BYTES = 4096;
const METADATA_KEY = /^[A-Za-z0-9_\-.:]{1,40}$/;
export const DESCRIPTION_MAX = 500;
/** Keys that name parts of a JavaScript object rather than data: refused, never silently dropped. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseDescription(value: unknown, param = 'description'): string | null {
  return parseOptionalText(value, param, DESCRIPTION_MAX);
}

/** jsonb's order of object keys: shorter first, then byte by byte (metadata keys are ASCII). */
function jsonbKeyOrder(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parseMetadata(value: unknown, param = 'metadata'): Metadata | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${param} must be a flat JSON object`, param);
  }
  assertStorableText(value, param);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > METADATA_MAX_KEYS)
    throw new ValidationError(`${param} has more than ${METADATA_MAX_KEYS} keys`, param);
  const out: Metadata = {};
  // In PostgreSQL's jsonb order, the order it is stored and read back in: the first answer then prints its
  // keys as its idempotent replay, the history and the webhook do.
  for (const [k, raw] of entries.sort(([a], [b]) => jsonbKeyOrder(a, b))) {
    if (RESERVED_KEYS.has(k)) {
      throw new ValidationError(`${param} key '${k}' is reserved`, `${param}.${k}`);
    }
    if (!METADATA_KEY.test(k))
      throw new ValidationError(
        `${param} key '${k.slice(0, 50)}' is not 1-40 of A-Z a-z 0-9 _ - . :`,
        `${param}.${k.slice(0, 40)}`,
      );
    const v = raw instanceof JsonNumber ? exactNumber(raw.text) : raw;
    if ((raw instanceof JsonNumber && v === null) || (typeof v === 'number' && !Number.isFinite(v)))
      throw new ValidationError(
        `${param}.${k} must be a number a JSON number keeps exactly (an integer within ±9007199254740991, or at` +
          ' most 15 significant digits between 1e-307 and 1e308 in size; at most 100 characters); send other' +
          ' numbers as strings',
        `${param}.${k}`,
      );
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ValidationError(`${param}.${k} must be a string, number or boolean`, `${param}.${k}`);
    }
    out[k] = v;
  }
  if (Buffer.byteLength(JSON.stringify(out)) > METADATA_MAX_BYTES) {
    throw new ValidationError(`${param} is larger than ${METADATA_MAX_BYTES} bytes`, param);
  }
  return out;
}

export { parseDate };
