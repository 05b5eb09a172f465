import { randomBytes } from 'node:crypto';
import { JsonNumber } from './json.js';

// The legacy page's formats, byte for byte, for every JSON the page describes (REST bodies and webhook
// deliveries): amounts are JSON numbers printed with at least two decimals and every digit they have
// (4520.00, 1180.50, 3.000000000000000001), never passed through a float; times are whole seconds in UTC with
// a Z (2025-03-06T00:05:00Z). `stringifyExact` writes JsonNumber leaves as their text.

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Whether a text is a plain decimal ("4520", "-0.5"): no exponent, no sign but a minus. */
export function isPlainDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** A Decimal text ("4520", "1180.5", "-50.00") as the page's JSON number: at least two decimals, exact. */
export function pageAmount(text: string): JsonNumber {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[1] ?? '';
  const digits = frac.length - 1;
  return new JsonNumber(digits >= 2 ? text : frac ? `${text}${'0'.repeat(2 - digits)}` : `${text}.00`);
}

/** An ISO time as the page prints it: whole seconds, UTC, `Z` (milliseconds are dropped, not rounded). */
export function pageTime(value: string | Date): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  return `${d.toISOString().slice(0, 19)}Z`;
}

// A JsonNumber leaf is first written as a string carrying this process's random marker, then the quotes and
// marker are taken off. A caller's own string cannot carry the marker: it is unguessable.
const MARKER = `\u2063num:${randomBytes(12).toString('hex')}:`;
const MARKED = new RegExp(`"${MARKER}(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)"`, 'g');

function markNumbers(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  return original instanceof JsonNumber ? MARKER + original.text : value;
}

/** Compact JSON.stringify that writes JsonNumber leaves as their exact text (no float on the way). */
export function stringifyExact(payload: unknown): string {
  const text = JSON.stringify(payload, markNumbers);
  return text.includes(MARKER) ? text.replace(MARKED, '$1') : text;
}
