import { describe, expect, it } from 'vitest';
import { decimalToJsonNumber, formatMinor, parseAmount } from '../../src/lib/money.js';

describe('money', () => {
  const max = 100_000_000_000n;
  it('parses decimal text into exact minor units', () => {
    expect(parseAmount('50', 2, max)).toEqual({ ok: true, minor: 5000n });
    expect(parseAmount('0.1', 2, max)).toEqual({ ok: true, minor: 10n });
    expect(parseAmount('1180.50', 2, max)).toEqual({ ok: true, minor: 118050n });
    expect(parseAmount('100.000001', 6, 10n ** 30n)).toEqual({ ok: true, minor: 100000001n });
    expect(parseAmount('100.000000000000000001', 18, 10n ** 30n)).toEqual({
      ok: true,
      minor: 100000000000000000001n,
    });
  });
  it('refuses what it cannot represent instead of rounding', () => {
    for (const [text, reason] of [
      ['1.001', 'too_many_decimals'],
      ['0', 'not_positive'],
      ['0.00', 'not_positive'],
      ['-1', 'not_a_number'],
      ['+1', 'not_a_number'],
      ['1e3', 'not_a_number'],
      ['01', 'not_a_number'],
      ['1.', 'not_a_number'],
      ['.5', 'not_a_number'],
      ['NaN', 'not_a_number'],
      ['', 'not_a_number'],
      ['1 000', 'not_a_number'],
      ['1000000000.01', 'too_large'],
    ] as const) {
      expect(parseAmount(text, 2, max)).toEqual({ ok: false, reason });
    }
  });
  it('formats minor units with fixed decimals and converts for the legacy JSON face', () => {
    expect(formatMinor(452000n)).toBe('4520.00');
    expect(formatMinor(-5n)).toBe('-0.05');
    expect(formatMinor(7n, 0)).toBe('7');
    expect(formatMinor(10n ** 20n + 1n, 18)).toBe('100.000000000000000001');
    expect(decimalToJsonNumber('1180.50')).toBe(1180.5);
    expect(decimalToJsonNumber('-50.00')).toBe(-50);
    expect(() => decimalToJsonNumber('1e3')).toThrow();
  });
});
