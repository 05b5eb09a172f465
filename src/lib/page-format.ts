import { randomBytes } from 'node:crypto';
import { JsonNumber } from './json.js';

// The legacy page's formats, byte for byte, for every JSON the page describes (REST bodies and webhook
// deliveries), never passed through a float: an `amount` field is a whole number when its value is whole
// (`"amount": 50`, `"amount": 100`), otherwise exact (Stars 12.50, a token 100.5 or 100.000000000000000001);
// every other money field (balances, fees, USDT conversions) has at least two decimals and every digit it has
// (4520.00, 1180.50, 470.00); times are whole seconds in UTC with a Z (2025-03-06T00:05:00Z). `stringifyExact`
// writes JsonNumber leaves as their text.

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

/** What an `amount` field holds: Stars (two decimals) or a token amount (its own decimals). */
export type AmountUnit = 'stars' | 'token';

/**
 * A Decimal text as the page prints an `amount` field: a whole value as an integer ("50.00" → 50, "-50" → -50),
 * otherwise exact: Stars with two decimals ("12.5" → 12.50), a token amount with every digit it has
 * ("100.5", "100.000000000000000001").
 */
export function pageAmountField(text: string, unit: AmountUnit): JsonNumber {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[1] ?? '';
  if (/^\.?0*$/.test(frac)) {
    const whole = text.slice(0, text.length - frac.length);
    return new JsonNumber(/^-0+$/.test(whole) ? '0' : whole);
  }
  return unit === 'stars' ? pageAmount(text) : new JsonNumber(text);
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
