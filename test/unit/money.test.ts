import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMinor,
  minTokenUnitsForOneStarMinor,
  parseAmount,
  tokenToStarsMinor,
} from '../../src/lib/money.js';
import { restAmount, restTime, serializeRest } from '../../src/rest/v1/format.js';

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
  });

  it('prints legacy REST money fields other than amount as exact JSON numbers with at least two decimals', () => {
    expect(restAmount('4520').text).toBe('4520.00');
    expect(restAmount('1180.5').text).toBe('1180.50');
    expect(restAmount('-50.00').text).toBe('-50.00');
    expect(restAmount('3.000000000000000001').text).toBe('3.000000000000000001');
    expect(() => restAmount('1e3')).toThrow();
    const body = serializeRest({
      amount: restAmount('1180.5'),
      list: [restAmount('1')],
      note: `"${'0.5'}"`,
      nested: { fee: restAmount('-3.5') },
      none: null,
    });
    expect(body).toBe(
      '{"amount":1180.50,"list":[1.00],"note":"\\"0.5\\"","nested":{"fee":-3.50},"none":null}',
    );
    expect(JSON.parse(body).amount).toBe(1180.5);
  });

  it('prints legacy REST times as whole seconds in UTC with Z', () => {
    expect(restTime('2026-12-04T21:36:38.970Z')).toBe('2026-12-04T21:36:38Z');
    expect(restTime(new Date(Date.UTC(2025, 2, 6, 0, 5)))).toBe('2025-03-06T00:05:00Z');
  });

  it('finds the fewest token units worth 0.01 Star at any rate and decimals (deposits ask for at least that)', () => {
    expect(minTokenUnitsForOneStarMinor(6, '1')).toBe(10_000n); // 0.01 USDT
    expect(minTokenUnitsForOneStarMinor(6, '150')).toBe(67n);
    expect(minTokenUnitsForOneStarMinor(18, '0.5')).toBe(2n * 10n ** 16n);
    expect(minTokenUnitsForOneStarMinor(6, '0')).toBeNull();
    const rate = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
      .map(([n, d]) =>
        d === 0 ? String(n) : `${n / 10n ** BigInt(d)}.${String(n % 10n ** BigInt(d)).padStart(d, '0')}`,
      );
    fc.assert(
      fc.property(rate, fc.constantFrom(6, 18), (r, decimals) => {
        const min = minTokenUnitsForOneStarMinor(decimals, r);
        if (min === null) {
          // A rate of 0: nothing is worth a Star (the property must not return the assertion's value).
          expect(tokenToStarsMinor(10n ** 40n, decimals, r)).toBe(0n);
          return;
        }
        expect(min).toBeGreaterThan(0n);
        expect(tokenToStarsMinor(min, decimals, r)).toBeGreaterThanOrEqual(1n);
        expect(tokenToStarsMinor(min - 1n, decimals, r)).toBe(0n);
      }),
    );
  });
});
