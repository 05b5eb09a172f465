import { ValidationError } from './errors.js';
import { JsonNumber } from './json.js';

// Money is integer minor units (bigint) everywhere inside the system. Text is only at the edges.

/** Stars carry two decimal places. */
export const STARS_DECIMALS = 2;

const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export type ParseAmountError = 'not_a_number' | 'too_many_decimals' | 'not_positive' | 'too_large';

/**
 * Parses a decimal text ("12", "12.5", "12.50") into minor units with `decimals` places.
 * Rejects signs, exponents, blanks, NaN and more decimals than the currency has, instead of rounding:
 * a payments API must never guess what the caller meant.
 */
export function parseAmount(
  text: string,
  decimals: number,
  maxMinor: bigint,
): { ok: true; minor: bigint } | { ok: false; reason: ParseAmountError } {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return { ok: false, reason: 'not_a_number' };
  const whole = m[1]!;
  const frac = m[2] ?? '';
  if (frac.length > decimals) return { ok: false, reason: 'too_many_decimals' };
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
  if (minor <= 0n) return { ok: false, reason: 'not_positive' };
  if (minor > maxMinor) return { ok: false, reason: 'too_large' };
  return { ok: true, minor };
}

/** Formats minor units as a fixed decimal string: 452000n, 2 → "4520.00". */
export function formatMinor(minor: bigint, decimals: number = STARS_DECIMALS): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const frac = abs % scale;
  const text = decimals === 0 ? whole.toString() : `${whole}.${frac.toString().padStart(decimals, '0')}`;
  return negative ? `-${text}` : text;
}

/**
 * A JSON number for the legacy REST face, which the page shows as numbers (4520.00 → 4520).
 * Exact for every amount below 2^53 minor units; larger balances are refused by MAX_AMOUNT checks long before.
 */
export function minorToJsonNumber(minor: bigint, decimals: number = STARS_DECIMALS): number {
  return Number(formatMinor(minor, decimals));
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

// Token amounts keep the token's own decimals (6 for USDT on TRON, 18 on BSC) as bigint base units;
// Stars are 2 decimals. Conversion rounds down to 0.01 Star, never up (docs/api.md "Money").

const MAX_TOKEN_UNITS = 10n ** 30n;

export function parseTokenAmount(value: unknown, decimals: number, param = 'amount'): bigint {
  let text: string;
  if (value instanceof JsonNumber) text = value.text;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'string') text = value;
  else throw new ValidationError(`${param} must be a number or a decimal string`, param, 'invalid_amount');
  const r = parseAmount(text, decimals, MAX_TOKEN_UNITS);
  if (r.ok) return r.minor;
  const why = {
    not_a_number: `${param} must be a plain decimal number such as 100 or 12.5`,
    too_many_decimals: `${param} has more than ${decimals} decimal places`,
    not_positive: `${param} must be greater than zero`,
    too_large: `${param} is too large`,
  }[r.reason];
  throw new ValidationError(why, param, 'invalid_amount');
}

/** A decimal rate such as "1" or "150.25" as a fraction. */
export function parseRate(rate: string): { num: bigint; den: bigint } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate);
  if (!m) throw new Error(`not a rate: ${rate}`);
  const frac = m[2] ?? '';
  return { num: BigInt(m[1]! + frac), den: 10n ** BigInt(frac.length) };
}

/** Stars (minor units, 2 decimals) for `units` of a token with `decimals`, at `starsPerUsdt`, rounded down. */
export function tokenToStarsMinor(units: bigint, decimals: number, starsPerUsdt: string): bigint {
  const { num, den } = parseRate(starsPerUsdt);
  return (units * num * 100n) / (10n ** BigInt(decimals) * den);
}

/**
 * The fewest base units of a token with `decimals` worth 0.01 Star at `starsPerUsdt` (less converts to 0
 * Stars); null at a rate of 0, where no amount is worth a Star.
 */
export function minTokenUnitsForOneStarMinor(decimals: number, starsPerUsdt: string): bigint | null {
  const { num, den } = parseRate(starsPerUsdt);
  if (num === 0n) return null;
  const need = 10n ** BigInt(decimals) * den; // units * num * 100 >= need
  return (need + num * 100n - 1n) / (num * 100n);
}

export function formatToken(units: bigint, decimals: number): string {
  const text = formatMinor(units, decimals);
  // Trim trailing zeros for display of token amounts ("100.000000" → "100"), keeping it exact.
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
