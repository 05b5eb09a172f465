import { Kind } from 'graphql';
import { JsonNumber, plainJson } from '../src/lib/json.js';
import { formatMinor } from '../src/lib/money.js';
import { builder } from './builder.js';

// Decimal: money as an exact string ("4520.00"). Inputs may be a string or a number literal; the text
// is handed to the service unchanged, which parses it exactly and refuses what it cannot represent.
// Variables come from a lossless parse (lib/json.ts): a JSON number other than a safe integer arrives
// as a JsonNumber with the text the caller sent, so `1.001` or a 20-digit number is never rounded first.
builder.scalarType('Decimal', {
  description: 'An exact decimal amount, serialised as a string such as "4520.00" (never a float).',
  serialize: (minor) => formatMinor(minor),
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
  description: 'An ISO 8601 date-time in UTC.',
  serialize: (d) => d.toISOString(),
  parseValue: (value) => {
    const d = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : null;
    if (!d || Number.isNaN(d.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return d;
  },
  parseLiteral: (ast) => {
    const d = ast.kind === Kind.STRING && /^\d{4}-\d{2}-\d{2}/.test(ast.value) ? new Date(ast.value) : null;
    if (!d || Number.isNaN(d.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return d;
  },
});

builder.scalarType('Metadata', {
  description: 'A flat JSON object of at most 20 keys with string, number or boolean values (≤ 4 KB).',
  serialize: (v) => v,
  parseValue: (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber)
      throw new TypeError('Metadata must be a JSON object');
    return plainJson(value) as Record<string, unknown>;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new TypeError('Metadata must be an object');
    const out: Record<string, unknown> = {};
    for (const f of ast.fields) {
      const v = f.value;
      if (v.kind === Kind.STRING || v.kind === Kind.BOOLEAN) out[f.name.value] = v.value;
      else if (v.kind === Kind.INT || v.kind === Kind.FLOAT) out[f.name.value] = Number(v.value);
      else throw new TypeError('Metadata values must be strings, numbers or booleans');
    }
    return out;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (v) => v,
  parseValue: (v) => plainJson(v),
});
