import { ValidationError } from './errors.js';

// Dates in requests, the same on every door (REST query strings, GraphQL arguments).

/** The calendar day a text starts with, and whether a time follows it with no zone (`T13:00`, ` 13:00:00.5`). */
const DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const ZONELESS_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;

function invalid(param: string): ValidationError {
  return new ValidationError(
    `${param} must be an ISO 8601 date such as 2025-03-06 or 2025-03-06T00:00:00Z`,
    param,
  );
}

/** The text's date, read as UTC when it gives a time but no zone (JavaScript would read the server's zone). */
function parseText(value: string, param: string): Date {
  const day = DAY.exec(value);
  if (!day) throw invalid(param);
  // A day that does not exist (2026-02-30, 2026-11-31) is refused: Date would roll it into the next month.
  const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
  const calendar = new Date(Date.UTC(y, m - 1, d));
  if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d)
    throw invalid(param);
  const date = new Date(ZONELESS_TIME.test(value) ? `${value}Z` : value);
  if (Number.isNaN(date.getTime())) throw invalid(param);
  return date;
}

export function parseDate(value: unknown, param: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(param);
    return value;
  }
  if (typeof value !== 'string') throw new ValidationError(`${param} must be an ISO 8601 date`, param);
  return parseText(value, param);
}
