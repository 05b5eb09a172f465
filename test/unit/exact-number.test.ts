import { describe, expect, it } from 'vitest';
import { exactNumber } from '../../src/lib/json.js';

// exactNumber (src/lib/json.ts): the number a JSON number text stands for, only when a double holds that very
// value (metadata numbers: docs/api.md). A rounded value would be stored, echoed and signed in webhooks as
// something the merchant never sent.
describe('exactNumber', () => {
  it('takes texts whose value a double holds, whatever their spelling', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['1.10', 1.1],
      ['1e3', 1000],
      ['1E+3', 1000],
      ['1.0e+2', 100],
      ['-5.5', -5.5],
      ['123.456', 123.456],
      ['9007199254740991', 9007199254740991],
      ['9007199254740992', 2 ** 53],
      ['100000000000000000000', 1e20],
      ['0.30000000000000004', 0.30000000000000004],
      ['5e-324', 5e-324],
      ['1.7976931348623157e308', Number.MAX_VALUE],
      [`1.${'0'.repeat(90)}`, 1],
    ];
    for (const [text, value] of cases) expect([text, exactNumber(text)]).toEqual([text, value]);
    expect(Object.is(exactNumber('-0'), -0)).toBe(true);
  });

  it('refuses texts a double would change, that overflow or underflow, or that are over 100 characters', () => {
    for (const text of [
      '9007199254740993',
      '12345678901234567',
      '0.1000000000000000055',
      '1.23456789012345e-310', // 15 digits, but below the normal range: a subnormal keeps fewer
      '1e400',
      '1e-400',
      `1.${'0'.repeat(99)}`, // exact (it is 1), but 101 characters
      `1.${'0'.repeat(60_000)}1`,
      'NaN',
      '',
    ])
      expect([text.slice(0, 30), exactNumber(text)]).toEqual([text.slice(0, 30), null]);
  });
});
