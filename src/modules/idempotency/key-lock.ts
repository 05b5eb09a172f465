// Every writer of an idempotency key takes the key's transaction-scoped advisory lock first: a standalone claim
// for its statement and its completion for the request's transaction, a ledger batch for its whole
// transaction (service.ts), the purge for its statement when it deletes a dead claim (purge.ts). (Releasing a
// claim only deletes it, which no writer can mistake for an answer: a batch then inserts its record.)

/**
 * The first half of every key's advisory lock: PostgreSQL keeps two-integer locks apart from one-bigint
 * locks, so no Idempotency-Key a client chooses can hash onto a scanner's, payout's or sweeper's lock.
 */
export const KEY_LOCK_SPACE = 0x4e504b59; // "NPKY"

/** The second half of the key's advisory lock, as SQL over the key's merchant, mode and key expressions. */
export const keyLockId = (m: string, md: string, k: string) =>
  `hashtext(${m} || ' ' || ${md} || ' ' || ${k})`;
