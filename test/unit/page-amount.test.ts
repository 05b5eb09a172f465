import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMinor, formatToken } from '../../src/lib/money.js';
import { pageAmountField } from '../../src/lib/page-format.js';
import { restAmount, restStarsAmount, restTokenAmount, serializeRest } from '../../src/rest/v1/format.js';

// The legacy page prints `"amount": 50` and `"amount": 100` (whole numbers, no decimals) but `"balance": 4520.00`,
// `"fee": 30.00`, `"amountUsdt": 470.00`: an `amount` field is an integer when its value is whole, otherwise
// exact (Stars 12.50, a token 100.5); every other money field keeps at least two decimals.
describe("the page's `amount` field", () => {
  it('is an integer when whole, two decimals for Stars otherwise, every digit for a token', () => {
    expect(restStarsAmount('50.00').text).toBe('50');
    expect(restStarsAmount('50').text).toBe('50');
    expect(restStarsAmount('12.50').text).toBe('12.50');
    expect(restStarsAmount('12.5').text).toBe('12.50');
    expect(restStarsAmount('-50.00').text).toBe('-50');
    expect(restStarsAmount('-5.25').text).toBe('-5.25');
    expect(restStarsAmount('-0.50').text).toBe('-0.50');
    expect(restStarsAmount('0.00').text).toBe('0');
    expect(restStarsAmount('-0.00').text).toBe('0');
    expect(restTokenAmount('100').text).toBe('100');
    expect(restTokenAmount('100.000000').text).toBe('100');
    expect(restTokenAmount('100.5').text).toBe('100.5');
    expect(restTokenAmount('100.000001').text).toBe('100.000001');
    expect(restTokenAmount('100.000000000000000001').text).toBe('100.000000000000000001');
    expect(() => restStarsAmount('1e3')).toThrow();
    // Other money fields are unchanged: at least two decimals.
    expect(restAmount('4520').text).toBe('4520.00');
    expect(serializeRest({ amount: restStarsAmount('50.00'), fromBalance: restAmount('1180.5') })).toBe(
      '{"amount":50,"fromBalance":1180.50}',
    );
  });

  it('keeps the exact value of any Stars or token amount, without decimals exactly when it is whole', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
        fc.constantFrom(2, 6, 18),
        (minor, decimals) => {
          const unit = decimals === 2 ? 'stars' : 'token';
          const text = decimals === 2 ? formatMinor(minor) : formatToken(minor, decimals);
          const out = pageAmountField(text, unit).text;
          const scale = 10n ** BigInt(decimals);
          const whole = minor % scale === 0n;
          const [int, frac = ''] = out.replace('-', '').split('.');
          // The same value, digit for digit (no float on the way).
          const back =
            (BigInt(int!) * scale + BigInt(frac.padEnd(decimals, '0') || '0')) *
            (out.startsWith('-') ? -1n : 1n);
          expect(back).toBe(minor);
          expect(out.includes('.')).toBe(!whole);
          if (!whole && unit === 'stars') expect(frac).toHaveLength(2);
          if (!whole && unit === 'token') expect(out).toBe(text);
        },
      ),
    );
  });
});
