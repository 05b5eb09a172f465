// lossless-json 4.3.3's parse (MIT, © Jos de Jong), as lib/json.ts calls it (a number parser, no reviver,
// duplicate keys refused unless equal), with one change: a string is checked as lossless-json checks it, then
// read whole, instead of being built a character at a time. lossless-json's `result += text[i]` builds a
// 400-character GraphQL query as ~400 nested V8 cons strings, which the first use of the text (the document
// cache's map lookup: hashing) then flattens. Everything else, the error messages included, is
// lossless-json's own: test/unit/json-parse.test.ts compares the two on arbitrary texts.

/**
 * The value of a JSON text, numbers through `parseNumber` (given each number's text); throws lossless-json's
 * SyntaxError for what it refuses.
 */
export function parseJson(text: string, parseNumber: (text: string) => unknown): unknown {
  let i = 0;
  const value = parseValue();
  expectValue(value);
  expectEndOfInput();
  return value;

  function parseObject(): Record<string, unknown> | undefined {
    if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
    i++;
    skipWhitespace();
    const object: Record<string, unknown> = {};
    let initial = true;
    while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACE) {
      if (!initial) {
        eatComma();
        skipWhitespace();
      } else {
        initial = false;
      }
      const start = i;
      const key = parseString();
      if (key === undefined) throw new SyntaxError(`Quoted object key expected ${gotAt()}`);
      skipWhitespace();
      eatColon();
      const value = parseValue();
      if (value === undefined) throw new SyntaxError(`Object value expected after ':' ${pos()}`);
      if (Object.hasOwn(object, key) && !isDeepEqual(value, object[key])) {
        throw new SyntaxError(`Duplicate key '${key}' encountered at position ${start + 1}`);
      }
      setObjectKey(object, key, value);
    }
    if (text.charCodeAt(i) !== CLOSE_BRACE) {
      throw new SyntaxError(`Quoted object key or end of object '}' expected ${gotAt()}`);
    }
    i++;
    return object;
  }

  function parseArray(): unknown[] | undefined {
    if (text.charCodeAt(i) !== OPEN_BRACKET) return undefined;
    i++;
    skipWhitespace();
    const array: unknown[] = [];
    let initial = true;
    while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
      if (!initial) eatComma();
      else initial = false;
      const value = parseValue();
      if (value === undefined) throw new SyntaxError(`Array item expected ${gotAt()}`);
      array.push(value);
    }
    if (text.charCodeAt(i) !== CLOSE_BRACKET) {
      throw new SyntaxError(`Array item or end of array ']' expected ${gotAt()}`);
    }
    i++;
    return array;
  }

  function parseValue(): unknown {
    skipWhitespace();
    const value =
      parseString() ??
      parseNumeric() ??
      parseObject() ??
      parseArray() ??
      parseKeyword('true', true) ??
      parseKeyword('false', false) ??
      parseKeyword('null', null);
    skipWhitespace();
    return value;
  }

  function parseKeyword<T>(name: string, value: T): T | undefined {
    if (text.slice(i, i + name.length) !== name) return undefined;
    i += name.length;
    return value;
  }

  function skipWhitespace(): void {
    while (isWhitespace(text.charCodeAt(i))) i++;
  }

  /**
   * lossless-json's checks, character by character, with its messages; the value is then read by JSON.parse
   * from the literal (the same grammar: what passes the checks is a JSON string): a new flat string, which
   * neither holds the request body (as a slice of it would, kept in a cache) nor needs flattening.
   */
  function parseString(): string | undefined {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const start = i;
    i++;
    let escaped = false;
    for (;;) {
      PLAIN.lastIndex = i; // past the characters with nothing to check, in one native step
      PLAIN.test(text);
      i = PLAIN.lastIndex;
      if (i >= text.length || text.charCodeAt(i) === QUOTE) break;
      const code = text.charCodeAt(i);
      if (code === BACKSLASH) {
        escaped = true;
        const char = text[i + 1]!;
        if (ESCAPES.has(char)) {
          i++;
        } else if (char === 'u') {
          if (
            isHex(text.charCodeAt(i + 2)) &&
            isHex(text.charCodeAt(i + 3)) &&
            isHex(text.charCodeAt(i + 4)) &&
            isHex(text.charCodeAt(i + 5))
          ) {
            i += 5;
          } else {
            throw new SyntaxError(`Invalid unicode character '${text.slice(i, i + 6)}' ${pos()}`);
          }
        } else {
          throw new SyntaxError(`Invalid escape character '${text.slice(i, i + 2)}' ${pos()}`);
        }
      } else if (code < 0x20) {
        throw new SyntaxError(`Invalid character '${text[i]}' ${pos()}`);
      }
      i++;
    }
    if (text.charCodeAt(i) !== QUOTE) throw new SyntaxError(`End of string '"' expected ${gotAt()}`);
    i++;
    // A short slice is a copy in V8 already (under 13 characters), and cheaper than a JSON.parse call.
    return escaped || i - start > SHORT
      ? (JSON.parse(text.slice(start, i)) as string)
      : text.slice(start + 1, i - 1);
  }

  function parseNumeric(): unknown {
    const start = i;
    if (text.charCodeAt(i) === MINUS) {
      i++;
      expectDigit(start);
    }
    if (text.charCodeAt(i) === ZERO) {
      i++;
    } else if (isNonZeroDigit(text.charCodeAt(i))) {
      i++;
      while (isDigit(text.charCodeAt(i))) i++;
    } else {
      return undefined; // a JSON number has an integer part: '.5' is not one
    }
    if (text.charCodeAt(i) === DOT) {
      i++;
      expectDigit(start);
      while (isDigit(text.charCodeAt(i))) i++;
    }
    if (text.charCodeAt(i) === LOWER_E || text.charCodeAt(i) === UPPER_E) {
      i++;
      if (text.charCodeAt(i) === MINUS || text.charCodeAt(i) === PLUS) i++;
      expectDigit(start);
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return i > start ? parseNumber(text.slice(start, i)) : undefined;
  }

  function eatComma(): void {
    if (text.charCodeAt(i) !== COMMA) throw new SyntaxError(`Comma ',' expected after value ${gotAt()}`);
    i++;
  }

  function eatColon(): void {
    if (text.charCodeAt(i) !== COLON)
      throw new SyntaxError(`Colon ':' expected after property name ${gotAt()}`);
    i++;
  }

  function expectValue(value: unknown): void {
    if (value === undefined) throw new SyntaxError(`JSON value expected ${gotAt()}`);
  }

  function expectEndOfInput(): void {
    if (i < text.length) throw new SyntaxError(`Expected end of input ${gotAt()}`);
  }

  function expectDigit(start: number): void {
    if (!isDigit(text.charCodeAt(i))) {
      throw new SyntaxError(`Invalid number '${text.slice(start, i)}', expecting a digit ${gotAt()}`);
    }
  }

  function pos(): string {
    return `at position ${i}`;
  }

  function gotAt(): string {
    return `${i < text.length ? `but got '${text[i]}'` : 'but reached end of input'} ${pos()}`;
  }
}

/** An own property, `__proto__` included (as JSON.parse and lossless-json keep it). */
function setObjectKey(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => isDeepEqual(item, b[index]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
    return keys.every((key) => isDeepEqual(x[key], y[key]));
  }
  return false;
}

const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isNonZeroDigit = (c: number) => c >= 0x31 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** A run of string characters that are neither a quote, a backslash nor a control character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON refuses them unescaped in a string
const PLAIN = /[^"\\\u0000-\u001f]*/y;
/** What may follow a backslash, besides `u` and four hex digits. */
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
/** A string literal this long or shorter (quotes included, so 12 characters) is sliced: V8 copies it. */
const SHORT = 14;

const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const PLUS = 0x2b;
const MINUS = 0x2d;
const ZERO = 0x30;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
