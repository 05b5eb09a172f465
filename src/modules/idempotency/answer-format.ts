import type { Pool } from '../../db/database.js';

// Which format a completed record's first REST answer printed `amount` in (the `answer_format` column): a
// replay makes its body again from the stored result, and must print it as the first answer did.
//   1  every amount with at least two decimals ("amount":50.00): records completed before the page's `amount`
//      format, or by a process that predates it (the column's default)
//   2  the page's `amount` format ("amount":50, "amount":12.50): what this code writes when it completes one

/** The format this code answers in, written by every completion of a record (IdempotencyService, ledger batches). */
export const ANSWER_FORMAT = 2;
/** The format of records completed before `answer_format` existed, or by processes that do not set it. */
export const TWO_DECIMAL_AMOUNTS = 1;

export interface AnswerScope {
  merchantId: string;
  mode: string;
  key: string;
}

/** The record's answer format; null when there is no completed record (expired and purged meanwhile). */
export async function readAnswerFormat(pool: Pool, s: AnswerScope): Promise<number | null> {
  const r = await pool.query<{ answer_format: number }>({
    name: 'idem_answer_format',
    text: `select answer_format from idempotency_keys
           where merchant_id = $1 and mode = $2 and key = $3 and state = 'completed'`,
    values: [s.merchantId, s.mode, s.key],
  });
  return r.rows[0]?.answer_format ?? null;
}
