import { parse } from 'lossless-json';

/**
 * A JSON number kept as the text it was written with. Money arrives on the REST face as JSON numbers
 * (the legacy page shows `"amount": 100`), and JSON.parse would turn `100.000000000000000001` into 100
 * or `0.1 + 0.2`-style noise into an amount. Keeping the text lets the money parser see exactly what the
 * merchant sent and refuse what it cannot represent.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
}

export class JsonSyntaxError extends Error {}

export function parseJsonLossless(text: string): unknown {
  try {
    return parse(text, null, (t) => new JsonNumber(t));
  } catch (err) {
    throw new JsonSyntaxError((err as Error).message);
  }
}

const SAFE_INTEGER_TEXT = /^-?(0|[1-9]\d{0,15})$/;

/**
 * The parse for GraphQL request bodies: integer texts that a JS number holds exactly stay plain numbers, so
 * `Int` arguments such as `first: 5` work as with JSON.parse; every other number (a fraction, an exponent,
 * a big integer) is kept as a JsonNumber, so the `Decimal` scalar sees exactly what was sent.
 */
export function parseGraphqlJson(text: string): unknown {
  try {
    return parse(text, null, (t) => {
      if (SAFE_INTEGER_TEXT.test(t)) {
        const n = Number(t);
        if (Number.isSafeInteger(n)) return n;
      }
      return new JsonNumber(t);
    });
  } catch (err) {
    throw new JsonSyntaxError((err as Error).message);
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Longest number text taken: a double's shortest form has at most 24 characters. */
const MAX_NUMBER_TEXT = 100;

/** A decimal text as sign, significant digits and exponent (value = digits × 10^exp), or null. */
function decimalOf(text: string): string | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign, whole, fraction = '', exp = '0'] = m;
  const all = `${whole}${fraction}`;
  // Index loops, not /0+$/: that one backtracks quadratically over zeros that are not at the end.
  let start = 0;
  while (start < all.length && all.charCodeAt(start) === 48) start++;
  let end = all.length;
  while (end > start && all.charCodeAt(end - 1) === 48) end--;
  if (start === end) return '0';
  const e = BigInt(exp) - BigInt(fraction.length) + BigInt(all.length - end);
  return `${sign}${all.slice(start, end)}e${e}`;
}

/**
 * The number a JSON number text stands for, when a JavaScript number holds that very value; else null. A
 * double keeps about 15-17 significant digits: `9007199254740993` would become …992 and
 * `0.1000000000000000055` would become 0.1, silently (stored, echoed and sent in webhooks changed, and two
 * requests differing only there would count as the same). `1.10`, `1e3` and 2^53 are exact (`-0` is taken,
 * as 0). A text over MAX_NUMBER_TEXT characters is refused whatever its value.
 */
export function exactNumber(text: string): number | null {
  if (text.length > MAX_NUMBER_TEXT) return null;
  const n = Number(text);
  if (!Number.isFinite(n)) return null;
  const written = decimalOf(text);
  return written !== null && written === decimalOf(String(n)) ? n : null;
}

/** Turns JsonNumber leaves back into plain numbers (for metadata and other non-money values). */
export function plainJson(value: unknown): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(plainJson);
  if (value && typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays a key (as with JSON.parse).
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainJson(v)]));
  }
  return value;
}

/** JSON with object keys sorted at every level: equal values give equal text (for request hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

/** The JSON text of a value, bigints as strings: what an idempotency record stores. */
export function jsonSafeText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A JSON-safe copy of a value (bigint → string): what a replay of its stored text gives back. */
export function toJsonSafe(value: unknown): unknown {
  return JSON.parse(jsonSafeText(value));
}
