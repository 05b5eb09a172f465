import { ValidationError } from './errors.js';

// Dates in requests, the same on every door (REST query strings, GraphQL arguments and DateTime inputs).

/** The calendar day a text starts with, and whether a time follows it with no zone (`T13:00`, ` 13:00:00.5`). */
const DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const ZONELESS_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;

/**
 * The date an ISO 8601 text names, or null when it names none. A day that does not exist (2026-02-30,
 * 2026-11-31) is none: Date would roll it into the next month. A time without a zone is UTC, as every time
 * of the API is (Date would read the server's zone).
 */
export function isoDate(text: string): Date | null {
  const day = DAY.exec(text);
  if (!day) return null;
  const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
  const calendar = new Date(Date.UTC(y, m - 1, d));
  if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d)
    return null;
  const date = new Date(ZONELESS_TIME.test(text) ? `${text}Z` : text);
  return Number.isNaN(date.getTime()) ? null : date;
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
