import { parseGraphqlJson } from './json.js';

// parseGraphqlJson's result, made by V8's JSON.parse when that is certain to give the same value: the text has
// no number but safe integers (which parseGraphqlJson also gives as plain numbers), no object key written
// twice, and no key with an escape in it. Anything else (a fraction, a big integer, a key given twice, an
// escaped key, deep nesting, an object with many keys, or text JSON.parse refuses) goes to parseGraphqlJson
// itself. The reason is memory, not speed alone: lossless-json builds every string a character at a time,
// ~13 KB of garbage per WebSocket for a connection_init with a bearer token (docs/benchmarks.md, fanout), and
// a WebSocket's every message is read this way (ws-router.ts). test/unit/json-fast.test.ts checks the two
// agree on arbitrary JSON and on arbitrary text.

/** Deeper than this, parseGraphqlJson decides (lossless-json recurses; JSON.parse does not). */
const MAX_DEPTH = 32;
/** An object with more keys than this is checked for duplicates by parseGraphqlJson (no quadratic scan). */
const MAX_KEYS = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
const isNumberChar = (c: number) =>
  (c >= ZERO && c <= NINE) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

/** Whether a number's text is one parseGraphqlJson gives as a plain number (an exact safe integer). */
function plainInteger(text: string, start: number, end: number): boolean {
  let i = start;
  if (text.charCodeAt(i) === MINUS) i++;
  const digits = end - i;
  if (digits < 1 || digits > 16) return false;
  if (text.charCodeAt(i) === ZERO && digits > 1) return false;
  for (let k = i; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c < ZERO || c > NINE) return false;
  }
  return digits < 16 || Number.isSafeInteger(Number(text.slice(start, end)));
}

/**
 * Whether JSON.parse(text), if it accepts the text, gives what parseGraphqlJson gives. The scan trusts the
 * text to be JSON (JSON.parse checks that afterwards); on text that is not, its answer does not matter.
 */
function plainText(text: string): boolean {
  /** The keys of each open object (null for an array), innermost last. */
  const keys: (string[] | null)[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = ++i;
      let escaped = false;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      const end = i++;
      let j = i;
      while (j < n && isWhitespace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== COLON) continue; // a value, not a key
      const own = keys[keys.length - 1];
      if (!own || escaped || own.length >= MAX_KEYS) return false;
      const key = text.slice(start, end);
      if (own.includes(key)) return false;
      own.push(key);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (keys.length >= MAX_DEPTH) return false;
      keys.push(c === OPEN_BRACE ? [] : null);
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      keys.pop();
      i++;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      const start = i;
      while (i < n && isNumberChar(text.charCodeAt(i))) i++;
      if (!plainInteger(text, start, i)) return false;
    } else i++;
  }
  return true;
}

/** parseGraphqlJson(text), the same value or the same JsonSyntaxError, with less garbage when it can. */
export function parseGraphqlJsonFast(text: string): unknown {
  if (plainText(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON for V8: parseGraphqlJson says why (or reads it, should lossless-json accept what V8 does not).
    }
  }
  return parseGraphqlJson(text);
}
