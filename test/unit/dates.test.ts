import { type GraphQLScalarType, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../schema/index.js';
import { parseDate } from '../../src/lib/dates.js';

// `from` and `to` of GET /api/v1/transactions (and GraphQL's DateTime inputs): a day that does not exist is a 400,
// not the next month's day, and a time without a zone is UTC (docs/api.md "Times are ISO 8601 in UTC")
// whatever the server's TZ.

const iso = (text: string) => parseDate(text, 'from')?.toISOString();

describe('parseDate', () => {
  it('reads the forms it always read', () => {
    expect(iso('2026-12-06')).toBe('2026-12-06T00:00:00.000Z');
    expect(iso('2026-12-06T13:00:00Z')).toBe('2026-12-06T13:00:00.000Z');
    expect(iso('2026-12-06T13:00:00.123Z')).toBe('2026-12-06T13:00:00.123Z');
    expect(iso('2026-12-06T13:00:00+01:00')).toBe('2026-12-06T12:00:00.000Z');
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
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
      expect(() => parseDate(text, 'to'), text).toThrow(
        expect.objectContaining({ code: 'invalid_request', param: 'to' }),
      );
  });

  it('reads a time without a zone as UTC, not as the server zone', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      expect(iso('2026-12-06T13:00:00')).toBe('2026-12-06T13:00:00.000Z');
      expect(iso('2026-12-06T13:00')).toBe('2026-12-06T13:00:00.000Z');
      expect(iso('2026-12-06 13:00:00.5')).toBe('2026-12-06T13:00:00.500Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('refuses what is not a date', () => {
    for (const value of ['garbage', '2026-12-06foo', '06/12/2026', 1796564789, new Date(Number.NaN)])
      expect(() => parseDate(value, 'from')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
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
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      expect((literal('2026-12-06T13:00:00') as Date).toISOString()).toBe('2026-12-06T13:00:00.000Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
