import { ValidationError } from '../../lib/errors.js';
import { parseUserId } from '../../lib/ids.js';
import { minorToJsonNumber, parseStars } from '../../lib/money.js';
import { event, type PlannedPosting, type Tenant } from './operation.js';
import type { PostedTransaction, PostingItem } from './types.js';
import { parseDescription } from './validation.js';

export interface AdjustInput {
  userId: unknown;
  amount: unknown;
  direction: 'credit' | 'debit';
  reason: unknown;
  actor: string;
}

export interface AdjustResult {
  id: string;
  userId: string;
  amountMinor: bigint;
  direction: 'credit' | 'debit';
  balanceMinor: bigint;
  createdAt: Date;
  replayed: boolean;
}

/** The books a merchant's adjustments come from: ops credits stand in for deposits until they exist. */
export const ADJUSTMENTS_ACCOUNT = { kind: 'system', code: 'adjustments' } as const;

/** Validates an ops credit or debit of a user and builds its posting against `ADJUSTMENTS_ACCOUNT`. */
export function planAdjustment(t: Tenant, input: AdjustInput, maxAmountMinor: bigint): PlannedPosting {
  const userId = parseUserId(input.userId, 'userId');
  const amountMinor = parseStars(input.amount, maxAmountMinor);
  const reason = parseDescription(input.reason, 'reason');
  if (!reason?.trim()) throw new ValidationError('reason is required for an adjustment', 'reason');
  const user = { kind: 'user', code: userId } as const;
  const credit = input.direction === 'credit';
  const normalized = { userId, amountMinor, direction: input.direction, reason };
  const item: PostingItem = {
    ...t,
    events: (txs) => {
      const tx = txs[0]!;
      return [
        event(t, 'balance.adjusted', tx.createdAt, {
          id: tx.id,
          userId,
          amount: minorToJsonNumber(tx.amountMinor),
          direction: input.direction,
          balance: minorToJsonNumber(credit ? tx.toBalanceAfterMinor : tx.fromBalanceAfterMinor),
          reason,
          // The posting's own metadata, so the live transactionCreated row is the history row (live-messages.ts).
          metadata: tx.metadata,
          createdAt: tx.createdAt.toISOString(),
        }),
      ];
    },
    postings: [
      {
        type: 'adjustment',
        from: credit ? ADJUSTMENTS_ACCOUNT : user,
        to: credit ? user : ADJUSTMENTS_ACCOUNT,
        amountMinor,
        description: reason,
        metadata: { actor: input.actor },
        fromParam: 'userId',
      },
    ],
  };
  const toResult = (txs: PostedTransaction[]) => {
    const tx = txs[0]!;
    return {
      id: tx.id,
      userId,
      amountMinor: tx.amountMinor,
      direction: input.direction,
      balanceMinor: credit ? tx.toBalanceAfterMinor : tx.fromBalanceAfterMinor,
      createdAt: tx.createdAt.toISOString(),
    };
  };
  return { normalized, item, toResult };
}

export function adjustmentFromStored(v: Record<string, unknown>, replayed: boolean): AdjustResult {
  return {
    id: String(v.id),
    userId: String(v.userId),
    amountMinor: BigInt(String(v.amountMinor)),
    direction: v.direction as 'credit' | 'debit',
    balanceMinor: BigInt(String(v.balanceMinor)),
    createdAt: new Date(String(v.createdAt)),
    replayed,
  };
}
