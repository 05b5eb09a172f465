import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { ValidationError } from './errors.js';
import { assertStorableText } from './text.js';

// Sortable ids with a type prefix (Stripe style): tx_01JD…, req_01JD…. ULIDs sort by creation time.

/**
 * ulid's default source asks the system for one random byte per character (16 calls per id, 3 % of a
 * transfer's CPU); this one reads them from a 4 KiB buffer refilled from the same CSPRNG.
 */
const pool = Buffer.alloc(4096);
let at = pool.length;
function randomByteFraction(): number {
  if (at === pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  return pool[at++]! / 256;
}

const ulid = monotonicFactory(randomByteFraction);

export type IdPrefix = 'tx' | 'req' | 'mer' | 'key' | 'evt' | 'dep' | 'pay' | 'whe' | 'adm' | 'swp';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}

/** An idempotency key: 1-255 printable ASCII characters (Stripe's rule), the same on REST and GraphQL. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** A merchant's id for one of its users: what every face accepts. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_\-.:]{1,64}$/;

export function parseUserId(value: unknown, param: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${param} must be a string`, param);
  if (!USER_ID_PATTERN.test(value)) {
    throw new ValidationError(`${param} must be 1-64 characters of A-Z a-z 0-9 _ - . :`, param);
  }
  return value;
}

/** Longest stream id: a transfer's metadata (streamId included) is at most 4 KB. */
const STREAM_ID_MAX_BYTES = 4096;

/**
 * A stream, as a transfer names it in `metadata.streamId`: any text a transfer can carry there (a number
 * there is its text, `12.5`), so every stream a donation is published to can be subscribed to.
 */
export function parseStreamId(value: unknown, param: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${param} must be a string`, param);
  if (value.length === 0 || Buffer.byteLength(value) > STREAM_ID_MAX_BYTES)
    throw new ValidationError(
      `${param} must be 1 to ${STREAM_ID_MAX_BYTES} bytes, as in a transfer's metadata.streamId`,
      param,
    );
  assertStorableText(value, param);
  return value;
}
