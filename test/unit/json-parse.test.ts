import fc from 'fast-check';
import { parse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../src/lib/json-parse.js';

// lib/json-parse.ts is lossless-json's parse with strings taken as slices: every text must give the same value,
// or the same refusal (its message reaches clients as the 400's), as lossless-json's.

class Num {
  constructor(readonly text: string) {}
}
const asNum = (t: string) => new Num(t);

function outcome(run: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: run() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** Pieces a JSON text is made of, and the characters that break one. */
const piece = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"',
    '\\',
    ' ',
    '\n',
    '\t',
    '\u0000',
    '\u001f',
    '-',
    '+',
    '.',
    'e',
    'E',
  ),
  fc.constantFrom(
    'true',
    'false',
    'null',
    'tru',
    'nul',
    '\\u',
    '\\u00e9',
    '\\uD83D',
    '\\ud83d\\ude00',
    '\\x',
    '\\/',
  ),
  fc.constantFrom('0', '7', '12.50', '1e3', '-0', '9007199254740993', '0.1000000000000000055', '01', '.5'),
  fc.constantFrom('"query"', '"variables"', '"__proto__"', '"a"', '"a"'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

describe('parseJson', () => {
  it('gives what lossless-json gives for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, spaced) => {
        const text = JSON.stringify(value, null, spaced ? 2 : undefined);
        expect(outcome(() => parseJson(text, asNum))).toEqual(outcome(() => parse(text, null, asNum)));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same value or the same error for texts made of JSON pieces, valid or not', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        expect(outcome(() => parseJson(text, asNum))).toEqual(outcome(() => parse(text, null, asNum)));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same value or error for a JSON text cut short or with a character put in', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.nat(),
        fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 2 })),
        (value, at, put) => {
          const whole = JSON.stringify({ query: 'mutation { x(a: "é\\n") }', variables: value });
          const cut = at % (whole.length + 1);
          const text = put === null ? whole.slice(0, cut) : whole.slice(0, cut) + put + whole.slice(cut);
          expect(outcome(() => parseJson(text, asNum))).toEqual(outcome(() => parse(text, null, asNum)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
