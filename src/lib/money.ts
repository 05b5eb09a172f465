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
