import { ValidationError } from './errors.js';

// Dates in requests, the same on every door (REST query strings, GraphQL arguments).

export function parseDate(value: unknown, param: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && !(value instanceof Date))
    throw new ValidationError(`${param} must be an ISO 8601 date`, param);
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime()) || (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}/.test(value))) {
    throw new ValidationError(
      `${param} must be an ISO 8601 date such as 2025-03-06 or 2025-03-06T00:00:00Z`,
      param,
    );
  }
  return d;
}
