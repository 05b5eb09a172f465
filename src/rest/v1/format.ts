import type { JsonNumber } from '../../lib/json.js';
import { pageAmount, pageAmountField, pageTime, stringifyExact } from '../../lib/page-format.js';

// The REST face's names for the page's formats (src/lib/page-format.ts, shared with webhook deliveries).

/**
 * A money field other than `amount` (balance, fromBalance, fee, amountUsdt, …): "4520", "1180.5", "-50.00" as the
 * page's JSON number with at least two decimals, exact (4520.00, 1180.50, -50.00).
 */
export const restAmount = pageAmount;

/** An `amount` field in Stars as the page prints it: 50, -50, 12.50 (a whole value as an integer). */
export const restStarsAmount = (text: string): JsonNumber => pageAmountField(text, 'stars');

/** An `amount` field in a token as the page prints it: 100, 100.5, 100.000000000000000001. */
export const restTokenAmount = (text: string): JsonNumber => pageAmountField(text, 'token');

/** An ISO time as the page prints it: whole seconds, UTC, `Z`. */
export const restTime = pageTime;

/** JSON.stringify for REST bodies, writing JsonNumber leaves as their exact text. */
export const serializeRest = stringifyExact;

export function restAmountOrNull(text: string | null | undefined): JsonNumber | null {
  return text === null || text === undefined ? null : restAmount(text);
}

export function restTimeOrNull(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : restTime(value);
}

/**
 * A GraphQL enum value (PENDING_APPROVAL, TRANSFER) as the page spells it (pending_approval, transfer): the
 * schema's enums are ALL_CAPS, the legacy JSON keeps the page's lower case.
 */
export function restEnum(value: string): string {
  return value.toLowerCase();
}
