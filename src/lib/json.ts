import { parse } from 'lossless-json';

/**
 * A JSON number kept as the text it was written with. Money arrives on the REST face as JSON numbers
 * (the legacy page shows `"amount": 100`), and JSON.parse would turn `100.000000000000000001` into 100
 * or `0.1 + 0.2`-style noise into an amount. Keeping the text lets the money parser see exactly what the
 * merchant sent and refuse what it cannot represent.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
}

export class JsonSyntaxError extends Error {}

export function parseJsonLossless(text: string): unknown {
  try {
    return parse(text, null, (t) => new JsonNumber(t));
  } catch (err) {
    throw new JsonSyntaxError((err as Error).message);
  }
}

/** Turns JsonNumber leaves back into plain numbers (for metadata and other non-money values). */
export function plainJson(value: unknown): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(plainJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainJson(v);
    return out;
  }
  return value;
}

/** JSON with object keys sorted at every level: equal values give equal text (for request hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}
