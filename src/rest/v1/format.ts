import { randomBytes } from 'node:crypto';
import { JsonNumber } from '../../lib/json.js';

// The legacy page's formats, byte for byte: amounts are JSON numbers printed with at least two decimals and
// every digit they have (4520.00, 1180.50, 3.000000000000000001), never passed through a float; times are
// whole seconds in UTC with a Z (2025-03-06T00:05:00Z). The REST face's serializer writes JsonNumber leaves
// as their text.

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A Decimal text ("4520", "1180.5", "-50.00") as the page's JSON number: at least two decimals, exact. */
export function restAmount(text: string): JsonNumber {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[1] ?? '';
  const digits = frac.length - 1;
  return new JsonNumber(digits >= 2 ? text : frac ? `${text}${'0'.repeat(2 - digits)}` : `${text}.00`);
}

export function restAmountOrNull(text: string | null | undefined): JsonNumber | null {
  return text === null || text === undefined ? null : restAmount(text);
}

/** An ISO time as the page prints it: whole seconds, UTC, `Z` (milliseconds are dropped, not rounded). */
export function restTime(value: string | Date): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function restTimeOrNull(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : restTime(value);
}

/**
 * A GraphQL enum value (PENDING_APPROVAL, TRANSFER) as the page spells it (pending_approval, transfer): the
 * schema's enums are ALL_CAPS, the legacy JSON keeps the page's lower case.
 */
export function restEnum(value: string): string {
  return value.toLowerCase();
}

// A JsonNumber leaf is first written as a string carrying this process's random marker, then the quotes and
// marker are taken off. A caller's own string cannot carry the marker: it is unguessable.
const MARKER = `\u2063num:${randomBytes(12).toString('hex')}:`;
const MARKED = new RegExp(`"${MARKER}(-?\\d+(?:\\.\\d+)?)"`, 'g');

function markNumbers(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  return original instanceof JsonNumber ? MARKER + original.text : value;
}

/** JSON.stringify for REST bodies, writing JsonNumber leaves as their exact text. */
export function serializeRest(payload: unknown): string {
  const text = JSON.stringify(payload, markNumbers);
  return text.includes(MARKER) ? text.replace(MARKED, '$1') : text;
}
