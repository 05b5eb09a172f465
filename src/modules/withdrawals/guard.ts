import type { PoolClient } from '../../db/database.js';
import { ValidationError } from '../../lib/errors.js';
import type { TransactionClaims } from '../ledger/index.js';

/**
 * The ledger guard of a decision that moves a withdrawal's money (a rejection's refund, a payout's settlement):
 * locks the row and refuses unless it is in `expected`. The row is claimed for the batch's transaction too:
 * every guard of a batch runs before any `after` hook changes the row, so a second decision on the same
 * withdrawal in the same batch would read it unchanged and refund or settle it twice.
 */
export async function guardWithdrawal(
  c: PoolClient,
  claims: TransactionClaims,
  id: string,
  expected: 'pending_approval' | 'processing',
): Promise<ValidationError | null> {
  const r = await c.query<{ status: string }>('select status from withdrawals where id = $1 for update', [
    id,
  ]);
  const status = r.rows[0]?.status;
  if (status !== expected) {
    const wanted = expected === 'pending_approval' ? ', not pending approval' : '';
    return new ValidationError(`withdrawal ${id} is ${status}${wanted}`, 'id');
  }
  if (!claims.claim(`withdrawals:${id}`))
    return new ValidationError(`withdrawal ${id} is being decided by another request`, 'id');
  return null;
}
