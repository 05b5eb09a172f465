import { parseDate } from '../../lib/dates.js';
import { ValidationError } from '../../lib/errors.js';
import { JsonNumber } from '../../lib/json.js';
import { parseAmount, STARS_DECIMALS } from '../../lib/money.js';
import { assertStorableText, parseOptionalText } from '../../lib/text.js';
import type { Metadata } from './types.js';

// Shared by every face: GraphQL resolvers and REST adapters hand raw values to the service, which
// validates them here and answers with a precise code and the offending field.

export const USER_ID_PATTERN = /^[A-Za-z0-9_\-.:]{1,64}$/;
const METADATA_MAX_KEYS = 20;
const METADATA_MAX_BYTES = 4096;
const METADATA_KEY = /^[A-Za-z0-9_\-.:]{1,40}$/;
export const DESCRIPTION_MAX = 500;
/** Keys that name parts of a JavaScript object rather than data: refused, never silently dropped. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseUserId(value: unknown, param: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${param} must be a string`, param);
  if (!USER_ID_PATTERN.test(value)) {
    throw new ValidationError(`${param} must be 1-64 characters of A-Z a-z 0-9 _ - . :`, param);
  }
  return value;
}

/** Amounts arrive as a JSON number (kept as its text), a JS number (GraphQL variables) or a decimal string. */
export function parseStars(value: unknown, maxMinor: bigint, param = 'amount'): bigint {
  let text: string;
  if (value instanceof JsonNumber) text = value.text;
  else if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ValidationError(`${param} must be a finite number`, param, 'invalid_amount');
    text = String(value);
  } else if (typeof value === 'string') text = value;
  else if (value === null || value === undefined)
    throw new ValidationError(`${param} is required`, param, 'invalid_amount');
  else throw new ValidationError(`${param} must be a number or a decimal string`, param, 'invalid_amount');
  const r = parseAmount(text, STARS_DECIMALS, maxMinor);
  if (r.ok) return r.minor;
  const why: Record<typeof r.reason, string> = {
    not_a_number: `${param} must be a plain decimal number such as 50 or 12.34`,
    too_many_decimals: `${param} has more than ${STARS_DECIMALS} decimal places`,
    not_positive: `${param} must be greater than zero`,
    too_large: `${param} is above the maximum allowed amount`,
  };
  throw new ValidationError(why[r.reason], param, 'invalid_amount');
}

export function parseDescription(value: unknown, param = 'description'): string | null {
  return parseOptionalText(value, param, DESCRIPTION_MAX);
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
  for (const [k, raw] of entries) {
    if (RESERVED_KEYS.has(k)) {
      throw new ValidationError(`${param} key '${k}' is reserved`, `${param}.${k}`);
    }
    if (!METADATA_KEY.test(k))
      throw new ValidationError(
        `${param} key '${k.slice(0, 50)}' is not 1-40 of A-Z a-z 0-9 _ - . :`,
        `${param}.${k.slice(0, 40)}`,
      );
    const v = raw instanceof JsonNumber ? Number(raw.text) : raw;
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new ValidationError(`${param}.${k} must be a finite number`, `${param}.${k}`);
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
