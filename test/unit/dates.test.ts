import fc from 'fast-check';
import { type GraphQLScalarType, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../schema/index.js';
import { isoDate, parseDate } from '../../src/lib/dates.js';

// `from` and `to` of GET /api/v1/transactions (and GraphQL's DateTime inputs): a day that does not exist is a 400,
// not the next month's day, and a time without a zone is UTC (docs/api.md "Times are ISO 8601 in UTC")
// whatever the server's TZ.

const iso = (text: string) => parseDate(text, 'from')?.toISOString();
const refused = (text: string, param: string) =>
  expect(() => parseDate(text, param), text).toThrow(
    expect.objectContaining({ code: 'invalid_request', param }),
  );

/** Runs `fn` with the process in time zone `tz` (Node reads TZ again when it is set). */
function inZone<T>(tz: string, fn: () => T): T {
  const was = process.env.TZ;
  process.env.TZ = tz;
  try {
    return fn();
  } finally {
    if (was === undefined) delete process.env.TZ;
    else process.env.TZ = was;
  }
}

describe('parseDate', () => {
  it('reads the forms it always read', () => {
    expect(iso('2026-12-06')).toBe('2026-12-06T00:00:00.000Z');
    expect(iso('2026-12-06T13:00:00Z')).toBe('2026-12-06T13:00:00.000Z');
    expect(iso('2026-12-06T13:00:00.123Z')).toBe('2026-12-06T13:00:00.123Z');
    expect(iso('2026-12-06T13:00:00+01:00')).toBe('2026-12-06T12:00:00.000Z');
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    // PostgreSQL's text of a timestamptz (an hour-only offset), as psql prints it.
    expect(iso('2026-12-06 13:00:00.123456+00')).toBe('2026-12-06T13:00:00.123Z');
    expect(iso('2026-12-06 13:00:00-05')).toBe('2026-12-06T18:00:00.000Z');
    expect(parseDate('', 'from')).toBeNull();
    expect(parseDate(undefined, 'from')).toBeNull();
  });

  it('refuses a day that does not exist instead of rolling it into the next month', () => {
    for (const text of [
      '2026-02-30',
      '2026-11-31',
      '2026-02-29',
      '2026-02-30T10:00:00Z',
      '2026-13-01',
      '2026-00-10',
    ])
      refused(text, 'to');
  });

  it('reads a time without a zone as UTC, not as the server zone', () => {
    inZone('Asia/Tokyo', () => {
      expect(iso('2026-12-06T13:00:00')).toBe('2026-12-06T13:00:00.000Z');
      expect(iso('2026-12-06T13:00')).toBe('2026-12-06T13:00:00.000Z');
      expect(iso('2026-12-06 13:00:00.5')).toBe('2026-12-06T13:00:00.500Z');
    });
  });

  it('refuses what is not a date', () => {
    for (const value of ['garbage', '2026-12-06foo', '06/12/2026', 1796564789, new Date(Number.NaN)])
      expect(() => parseDate(value, 'from')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('isoDate: ISO 8601 texts only, whatever the server zone', () => {
  it('reads the years 0000-0099 as those years (Date.UTC read them as 1900-1999, and refused them)', () => {
    // .NET's DateTime.MinValue, a common "from the beginning" bound.
    for (const [text, read] of [
      ['0001-01-01', '0001-01-01T00:00:00.000Z'],
      ['0001-01-01T00:00:00', '0001-01-01T00:00:00.000Z'],
      ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
      ['0000-02-29', '0000-02-29T00:00:00.000Z'],
    ] as const)
      expect(iso(text), text).toBe(read);
    refused('0001-02-29', 'from');
  });

  it("refuses a day followed by text Date's fallback reads its own way (in the server's zone, or as another day)", () => {
    inZone('Europe/Berlin', () => {
      for (const text of [
        '2026-03-06junk', // Date: 2026-06-02T22:00:00Z ("jun")
        '2026-03-06 march', // Date: 2026-03-02T23:00:00Z
        '2026-03-06 (Fri)', // Date: local midnight
        '2026-03-06 13:00:00 ', // Date: 13:00 local
        '2026-03-06  13:00',
        '2026-03-06 1:00 PM',
        '2026-03-06 GMT+0900',
        '2026-03-06-05', // a zone needs a time
      ])
        refused(text, 'from');
    });
  });

  it('refuses a time that is outside years 0000-9999 once in UTC', () => {
    expect(isoDate('9999-12-31T24:00')).toBeNull();
    expect(isoDate('9999-12-31T23:30:00-01:00')).toBeNull();
    expect(isoDate('0000-01-01T00:00:00+01:00')).toBeNull();
    expect(isoDate('9999-12-31T23:59:59.999Z')?.toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(isoDate('0000-01-01T01:00:00+01:00')?.toISOString()).toBe('0000-01-01T00:00:00.000Z');
  });

  it('reads zones as Date does, and a text without one as UTC', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const text = fc
      .record({
        day: fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        seconds: fc.boolean(),
        fraction: fc.option(fc.stringMatching(/^\d{1,9}$/)),
        zone: fc.option(
          fc.oneof(
            fc.constant('Z'),
            fc
              .tuple(
                fc.constantFrom('+', '-'),
                fc.integer({ min: 0, max: 23 }),
                fc.integer({ min: 0, max: 59 }),
                fc.boolean(),
              )
              .map(([sign, h, m, colon]) => `${sign}${pad(h)}${colon ? ':' : ''}${pad(m)}`),
          ),
        ),
      })
      .map(({ day, seconds, fraction, zone }) => {
        const ymd = `${pad(day.getUTCFullYear(), 4)}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}`;
        const hm = `${pad(day.getUTCHours())}:${pad(day.getUTCMinutes())}`;
        const s = seconds ? `:${pad(day.getUTCSeconds())}${fraction === null ? '' : `.${fraction}`}` : '';
        return { text: `${ymd}T${hm}${s}${zone ?? ''}`, zoned: zone !== null };
      });
    inZone('America/New_York', () =>
      fc.assert(
        fc.property(text, ({ text, zoned }) => {
          const date = new Date(zoned ? text : `${text}Z`);
          // A zone can move a time out of years 0000-9999, which isoDate refuses (DateTime has four digits).
          const inRange = date.getUTCFullYear() >= 0 && date.getUTCFullYear() <= 9999;
          expect(isoDate(text)?.getTime()).toBe(inRange ? date.getTime() : undefined);
        }),
      ),
    );
  });
});

describe('the DateTime scalar', () => {
  const scalar = getSchema().getType('DateTime') as GraphQLScalarType;
  const literal = (value: string) => scalar.parseLiteral({ kind: Kind.STRING, value }, {});

  it('reads inputs as the REST filters do', () => {
    expect((scalar.parseValue('2026-12-06T13:00:00.000Z') as Date).toISOString()).toBe(
      '2026-12-06T13:00:00.000Z',
    );
    expect(() => scalar.parseValue('2026-02-30T00:00:00Z')).toThrow(/ISO 8601/);
    expect(() => literal('2026-11-31')).toThrow(/ISO 8601/);
    inZone('Asia/Tokyo', () =>
      expect((literal('2026-12-06T13:00:00') as Date).toISOString()).toBe('2026-12-06T13:00:00.000Z'),
    );
  });
});
