import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, parseGraphqlJson } from '../../src/lib/json.js';
import { parseGraphqlJsonFast } from '../../src/lib/json-fast.js';

// The WebSocket door reads every message with parseGraphqlJsonFast (ws-router.ts): it must give exactly what
// parseGraphqlJson (the HTTP door's parse) gives, the same value with numbers kept the same way, or the same
// refusal, whatever the text.

type Outcome = { value: unknown } | { refused: string };

function outcome(parse: (text: string) => unknown, text: string): Outcome {
  try {
    return { value: parse(text) };
  } catch (err) {
    return { refused: err instanceof JsonSyntaxError ? 'JsonSyntaxError' : String(err) };
  }
}

function same(text: string): void {
  const fast = outcome(parseGraphqlJsonFast, text);
  const slow = outcome(parseGraphqlJson, text);
  expect(fast, text).toStrictEqual(slow);
  // toStrictEqual takes -0 and 0 apart only at the top; Object.is at every leaf.
  expect(leaves(fast), text).toStrictEqual(leaves(slow));
}

/** Every leaf with its path, -0 written out (toStrictEqual compares it as 0 inside objects). */
function leaves(v: unknown, path = '$', out: string[] = []): string[] {
  if (v instanceof JsonNumber) out.push(`${path}=JsonNumber(${v.text})`);
  else if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) leaves(x, `${path}[${i}]`, out);
  } else if (v && typeof v === 'object') {
    out.push(`${path}:proto=${Object.getPrototypeOf(v) === Object.prototype}`);
    for (const k of Object.keys(v)) leaves((v as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else out.push(`${path}=${Object.is(v, -0) ? '-0' : typeof v}:${String(v)}`);
  return out;
}

/** Number texts around every rule: safe integers, 2^53 and past it, fractions, exponents, -0, leading zeros. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }).map(String),
  fc.constantFrom(
    '0',
    '-0',
    '9007199254740991',
    '-9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '9999999999999999',
    '1000000000000000',
    '10000000000000000',
    '1.5',
    '1.10',
    '1e3',
    '1E+3',
    '-2.5e-7',
    '0.1000000000000000055',
    '01',
    '-',
    '1.',
    '.5',
    '+1',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);

/** Keys from a small set, so objects often repeat one; some written with escapes. */
const keyText = fc.constantFrom(
  '"a"',
  '"b"',
  '"type"',
  '"id"',
  '"payload"',
  '"__proto__"',
  '"toString"',
  '"\\u0061"',
  '"a\\"b"',
  '"1"',
  '""',
);

const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    fc.constantFrom('true', 'false', 'null', '"x"', '"\\n\\u00e9"', '"1.5"', '[]', '{}'),
    fc.string().map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc
      .array(fc.tuple(keyText, tie('value')), { maxLength: 5 })
      .map((es) => `{${es.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;

/** Whitespace JSON allows, and some it does not, around the tokens of a text. */
const spaced = fc
  .tuple(valueText, fc.constantFrom('', ' ', '\n\t', '\u00a0', '\r\n'))
  .map(([t, ws]) => t.replace(/([,:[\]{}])/g, `${ws}$1${ws}`));

describe('parseGraphqlJsonFast', () => {
  it('gives what parseGraphqlJson gives for the messages graphql-ws clients send', () => {
    for (const text of [
      '{"type":"connection_init","payload":{"token":"eyJhbGciOiJIUzI1NiJ9.e30.sig"}}',
      '{"type":"ping"}',
      '{"type":"pong","payload":{}}',
      '{"id":"1","type":"subscribe","payload":{"query":"subscription { x }","variables":{"first":5}}}',
      '{"id":"1","type":"subscribe","payload":{"query":"q","variables":{"amount":1.10}}}',
      '{"id":"1","type":"subscribe","payload":{"query":"q","variables":{"big":9007199254740993}}}',
      '{"type":"subscribe","id":"1","type":"complete"}',
      '{"type":"ping","type":"ping"}',
      '{"a":[],"a":{}}',
      '{"\\u0074ype":"ping","type":"pong"}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      '',
      'not json',
    ])
      same(text);
  });

  it('keeps numbers as HTTP reads them: exact integers plain, everything else as its text', () => {
    expect(parseGraphqlJsonFast('{"n":5,"m":-0}')).toStrictEqual({ n: 5, m: -0 });
    expect(parseGraphqlJsonFast('{"n":1.10}')).toStrictEqual({ n: new JsonNumber('1.10') });
    expect(parseGraphqlJsonFast('[9007199254740993]')).toStrictEqual([new JsonNumber('9007199254740993')]);
    expect(() => parseGraphqlJsonFast('{"type":"subscribe","type":"complete"}')).toThrow(JsonSyntaxError);
  });

  it('agrees with parseGraphqlJson on generated JSON, duplicate keys and big numbers included', () => {
    fc.assert(fc.property(valueText, same), { numRuns: 5000 });
  });

  it('agrees with parseGraphqlJson on JSON with any whitespace, and on any text', () => {
    fc.assert(fc.property(spaced, same), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), same), { numRuns: 2000 });
    fc.assert(fc.property(fc.json(), same), { numRuns: 2000 });
  });
});
