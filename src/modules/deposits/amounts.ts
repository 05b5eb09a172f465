import { ValidationError } from '../../lib/errors.js';
import { JsonNumber } from '../../lib/json.js';
import { formatMinor, parseAmount } from '../../lib/money.js';

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

export function formatToken(units: bigint, decimals: number): string {
  const text = formatMinor(units, decimals);
  // Trim trailing zeros for display of token amounts ("100.000000" → "100"), keeping it exact.
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
