import { Kind } from 'graphql';
import { isoDate } from '../src/lib/dates.js';
import { JsonNumber, plainJson } from '../src/lib/json.js';
import { formatMinor } from '../src/lib/money.js';
import { builder } from './builder.js';

// Decimal: money as an exact string ("4520.00"). Inputs may be a string or a number literal; the text
// is handed to the service unchanged, which parses it exactly and refuses what it cannot represent.
// Variables come from a lossless parse (lib/json.ts): a JSON number other than a safe integer arrives
// as a JsonNumber with the text the caller sent, so `1.001` or a 20-digit number is never rounded first.
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

// Every amount in the schema is a Decimal: Stars (bigint minor units inside, printed with their 2 decimals) and
// token amounts (exact decimal text in the token's own units, printed as they are). Every time is a DateTime.
builder.scalarType('Decimal', {
  description:
    'An exact decimal amount as a string, such as "4520.00" (Stars, always 2 decimals) or "100.5" (a token amount in its own units). Never a float: parse it with a decimal library, not Number(). Inputs take a string or a number literal.',
  serialize: (value) => {
    if (typeof value === 'bigint') return formatMinor(value);
    if (DECIMAL_TEXT.test(value)) return value;
    throw new TypeError(`not a decimal: ${value}`);
  },
  parseValue: (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof JsonNumber) return value.text;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new TypeError('Decimal must be a string such as "12.50" or a number');
  },
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
    throw new TypeError('Decimal must be a string such as "12.50" or a number');
  },
});

builder.scalarType('DateTime', {
  description:
    'A date-time in UTC as an ISO 8601 string with milliseconds, such as "2025-03-06T00:05:00.000Z". Inputs take any ISO 8601 date-time.',
  serialize: (value) => {
    const d = typeof value === 'string' ? new Date(value) : value;
    if (Number.isNaN(d.getTime())) throw new TypeError(`not a time: ${String(value)}`);
    return d.toISOString();
  },
  // The same reading as REST's from/to (src/lib/dates.ts): no rolled-over days, zone-less times in UTC.
  parseValue: (value) => {
    const d = typeof value === 'string' ? isoDate(value) : null;
    if (!d) throw new TypeError('DateTime must be an ISO 8601 string');
    return d;
  },
  parseLiteral: (ast) => {
    const d = ast.kind === Kind.STRING ? isoDate(ast.value) : null;
    if (!d) throw new TypeError('DateTime must be an ISO 8601 string');
    return d;
  },
});

builder.scalarType('Metadata', {
  description:
    "A flat JSON object of at most 20 keys whose values are strings, numbers or booleans (4 KB at most), for your own references such as an order id. A number must be one a JSON number keeps exactly (an integer within ±9007199254740991, or at most 15 significant digits between 1e-307 and 1e308 in size, in at most 100 characters); send others as strings. `streamId` in a transfer's metadata marks a donation to that stream.",
  serialize: (v) => v,
  // Number values stay JsonNumbers (their text as sent) for parseMetadata, which refuses one a double would
  // change rather than storing it rounded.
  parseValue: (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber)
      throw new TypeError('Metadata must be a JSON object');
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, v instanceof JsonNumber ? v : plainJson(v)]),
    );
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new TypeError('Metadata must be an object');
    const out: Record<string, unknown> = {};
    for (const f of ast.fields) {
      const v = f.value;
      if (v.kind === Kind.STRING || v.kind === Kind.BOOLEAN) out[f.name.value] = v.value;
      else if (v.kind === Kind.INT || v.kind === Kind.FLOAT) out[f.name.value] = new JsonNumber(v.value);
      else throw new TypeError('Metadata values must be strings, numbers or booleans');
    }
    return out;
  },
});

builder.scalarType('JSON', {
  description:
    "Any JSON value; used only where the shape is not part of the schema (an event's webhook payload).",
  serialize: (v) => v,
  parseValue: (v) => plainJson(v),
});
