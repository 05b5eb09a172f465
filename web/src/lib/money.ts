// Amounts arrive as exact decimal strings ("100", "12.50"): they are shown as text and converted to a token's
// smallest units with string and BigInt arithmetic only, never through a float.

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** "1.5" with 6 decimals → "1500000"; null when the text is not a plain decimal or has too many decimals. */
export function toUnits(amount: string, decimals: number): string | null {
  const m = DECIMAL.exec(amount.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.replace(/0+$/, '').length > decimals) return null;
  return BigInt(m[1] + frac.padEnd(decimals, '0').slice(0, decimals)).toString();
}

/** Trims a decimal string for display: "100.000000" → "100", "1.500000" → "1.5". */
export function trimDecimal(amount: string): string {
  const m = DECIMAL.exec(amount.trim());
  if (!m) return amount;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return frac ? `${m[1]}.${frac}` : (m[1] ?? amount);
}

/** Compares two decimal strings exactly: -1, 0 or 1 (null when either is not a decimal). */
export function compareDecimal(a: string, b: string): number | null {
  const ma = DECIMAL.exec(a.trim());
  const mb = DECIMAL.exec(b.trim());
  if (!ma || !mb) return null;
  const places = Math.max((ma[2] ?? '').length, (mb[2] ?? '').length);
  const ua = BigInt(toUnits(a, places) ?? '0');
  const ub = BigInt(toUnits(b, places) ?? '0');
  return ua === ub ? 0 : ua < ub ? -1 : 1;
}
