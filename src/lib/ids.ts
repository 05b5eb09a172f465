import { monotonicFactory } from 'ulid';

// Sortable ids with a type prefix (Stripe style): tx_01JD…, req_01JD…. ULIDs sort by creation time.
const ulid = monotonicFactory();

export type IdPrefix = 'tx' | 'req' | 'mer' | 'key' | 'evt' | 'dep' | 'pay' | 'whe' | 'adm' | 'swp';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}

/** An idempotency key: 1-255 printable ASCII characters (Stripe's rule), the same on REST and GraphQL. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
