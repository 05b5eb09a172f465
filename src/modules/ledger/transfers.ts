import { ValidationError } from '../../lib/errors.js';
import { parseUserId } from '../../lib/ids.js';
import { minorToJsonNumber, parseStars } from '../../lib/money.js';
import { event, type PlannedPosting, type Tenant } from './operation.js';
import type { Metadata, PostedTransaction, PostingItem } from './types.js';
import { parseDescription, parseMetadata } from './validation.js';

export interface TransferInput {
  fromUserId: unknown;
  toUserId: unknown;
  amount: unknown;
  description?: unknown;
  metadata?: unknown;
}

export interface TransferResult {
  id: string;
  status: 'completed';
  amountMinor: bigint;
  fromUserId: string;
  toUserId: string;
  fromBalanceMinor: bigint;
  toBalanceMinor: bigint;
  description: string | null;
  metadata: Metadata | null;
  createdAt: Date;
  replayed: boolean;
}

/** Validates a transfer between two users of a tenant and builds its posting. */
export function planTransfer(t: Tenant, input: TransferInput, maxAmountMinor: bigint): PlannedPosting {
  const fromUserId = parseUserId(input.fromUserId, 'fromUserId');
  const toUserId = parseUserId(input.toUserId, 'toUserId');
  const amountMinor = parseStars(input.amount, maxAmountMinor);
  const description = parseDescription(input.description);
  const metadata = parseMetadata(input.metadata);
  if (fromUserId === toUserId)
    throw new ValidationError('fromUserId and toUserId must differ', 'toUserId', 'same_user');
  const normalized = { fromUserId, toUserId, amountMinor, description, metadata };
  const toResult = (txs: PostedTransaction[]) => {
    const tx = txs[0]!;
    return {
      id: tx.id,
      status: 'completed',
      amountMinor: tx.amountMinor,
      fromUserId,
      toUserId,
      fromBalanceMinor: tx.fromBalanceAfterMinor,
      toBalanceMinor: tx.toBalanceAfterMinor,
      description,
      metadata,
      createdAt: tx.createdAt.toISOString(),
    };
  };
  const item: PostingItem = {
    ...t,
    events: (txs) => {
      const tx = txs[0]!;
      return [
        event(t, 'transfer.completed', tx.createdAt, {
          id: tx.id,
          fromUserId,
          toUserId,
          amount: minorToJsonNumber(tx.amountMinor),
          currency: 'Stars',
          fromBalance: minorToJsonNumber(tx.fromBalanceAfterMinor),
          toBalance: minorToJsonNumber(tx.toBalanceAfterMinor),
          description,
          metadata,
          createdAt: tx.createdAt.toISOString(),
        }),
      ];
    },
    postings: [
      {
        type: 'transfer',
        from: { kind: 'user', code: fromUserId },
        to: { kind: 'user', code: toUserId },
        amountMinor,
        description,
        metadata,
      },
    ],
  };
  return { normalized, item, toResult };
}

export function transferFromStored(v: Record<string, unknown>, replayed: boolean): TransferResult {
  return {
    id: String(v.id),
    status: 'completed',
    amountMinor: BigInt(String(v.amountMinor)),
    fromUserId: String(v.fromUserId),
    toUserId: String(v.toUserId),
    fromBalanceMinor: BigInt(String(v.fromBalanceMinor)),
    toBalanceMinor: BigInt(String(v.toBalanceMinor)),
    description: (v.description as string | null) ?? null,
    metadata: (v.metadata as Metadata | null) ?? null,
    createdAt: new Date(String(v.createdAt)),
    replayed,
  };
}
