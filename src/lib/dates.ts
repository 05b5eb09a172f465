import { ValidationError } from './errors.js';

// Dates in requests, the same on every door (REST query strings, GraphQL arguments and DateTime inputs).

/**
 * The forms read: a day, optionally a time (`T` or a space, then hh:mm, :ss, a fraction) and its zone (Z, UTC,
 * GMT, ±hh:mm, ±hhmm, or ±hh as PostgreSQL prints it, after an optional space), or a day and Z. Nothing else:
 * Date's own fallback reads other texts in the server's zone or as something else altogether
 * (`2026-03-06junk` as June 2, `2026-03-06 13:00:00 ` with its trailing space in local time).
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?: ?(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?|(Z))?$/i;

/** A zone's offset from UTC in minutes, or null when it names none (minutes or hours out of range). */
function offsetMinutes(zone: string | undefined): number | null {
  if (!zone || /^(Z|UTC|GMT)$/i.test(zone)) return 0;
  const [h, m] = [Number(zone.slice(1, 3)), zone.length > 3 ? Number(zone.slice(-2)) : 0];
  if (h > 23 || m > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (h * 60 + m);
}

/**
 * The date an ISO 8601 text names, or null when it names none. A day that does not exist (2026-02-30,
 * 2026-11-31) is none: Date would roll it into the next month. A time without a zone is UTC, as every time
 * of the API is (Date would read the server's zone). Years 0000-0099 are those years (Date.UTC reads 1900+).
 * 24:00 (with nothing after the minutes but zeros) is the end of the day, as ISO 8601 and Date have it.
 * A time that is not in years 0000-9999 once in UTC is none.
 */
export function isoDate(text: string): Date | null {
  const p = ISO.exec(text);
  if (!p) return null;
  const [y, mo, d] = [Number(p[1]), Number(p[2]), Number(p[3])];
  const [h, mi, s] = [Number(p[4] ?? 0), Number(p[5] ?? 0), Number(p[6] ?? 0)];
  const ms = Number((p[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = offsetMinutes(p[8] ?? p[9]);
  const endOfDay = h === 24 && mi === 0 && s === 0 && /^0*$/.test(p[7] ?? '');
  if (offset === null || (h > 23 && !endOfDay) || mi > 59 || s > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  date.setUTCHours(h, mi, s, ms);
  const utc = new Date(date.getTime() - offset * 60_000);
  // Within years 0000-9999 in UTC, which a DateTime prints with four digits: 24:00 of 9999-12-31, or a zone
  // east of UTC on 0000-01-01, moves out of them, and the REST query's filter went on to fail as GraphQL's.
  const year = utc.getUTCFullYear();
  return year >= 0 && year <= 9999 ? utc : null;
}

export function parseDate(value: unknown, param: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && !(value instanceof Date))
    throw new ValidationError(`${param} must be an ISO 8601 date`, param);
  const date = value instanceof Date ? value : isoDate(value);
  if (!date || Number.isNaN(date.getTime()))
    throw new ValidationError(
      `${param} must be an ISO 8601 date such as 2025-03-06 or 2025-03-06T00:00:00Z`,
      param,
    );
  return date;
}
