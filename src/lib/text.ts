import { ValidationError } from './errors.js';
import { JsonNumber } from './json.js';

// PostgreSQL stores neither U+0000 nor a lone UTF-16 surrogate in text or jsonb: such a value would reach
// the database and fail there, as a 500, possibly inside a batch of other requests. Every door (REST,
// GraphQL over HTTP, the WebSocket) refuses them first, with a 400 naming the field, and the services check
// again for callers that come another way (the CLI).

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/** True when PostgreSQL can store `s` as text: no U+0000 and no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/**
 * `s` with each U+0000 and unpaired surrogate replaced by U+FFFD: for text we keep but did not choose (what
 * a webhook receiver answered), which must be stored rather than refused.
 */
export function toStorableText(s: string): string {
  return isStorableText(s) ? s : s.replace(UNSTORABLE, '\ufffd');
}

const MAX_DEPTH = 64;

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * The path of the first string or object key in `value` that PostgreSQL cannot store, or null. `path` names
 * `value` itself ("description", "metadata.streamId", "input.metadata", "items[2]"); for a bad key the path
 * is the object holding it.
 */
export function findUnstorableText(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (value === null || typeof value !== 'object' || value instanceof JsonNumber || depth > MAX_DEPTH) {
    return null;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = findUnstorableText(v, join(path, i), depth + 1);
      if (bad !== null) return bad;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!isStorableText(k)) return path;
    const bad = findUnstorableText(v, join(path, k), depth + 1);
    if (bad !== null) return bad;
  }
  return null;
}

export function unstorableTextError(param: string): ValidationError {
  return new ValidationError(
    `${param || 'The request'} contains a character that cannot be stored (U+0000 or an unpaired UTF-16 surrogate)`,
    param || undefined,
  );
}

/** Throws a 400 `invalid_request` naming the field when `value` holds text PostgreSQL cannot store. */
export function assertStorableText(value: unknown, param: string): void {
  const bad = findUnstorableText(value, param);
  if (bad !== null) throw unstorableTextError(bad);
}

/** Optional free text (a description, a reason): a string of at most `max` characters that can be stored. */
export function parseOptionalText(value: unknown, param: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ValidationError(`${param} must be a string`, param);
  if (value.length > max) throw new ValidationError(`${param} is longer than ${max} characters`, param);
  assertStorableText(value, param);
  return value;
}
