import { tenantOf } from '../src/context.js';
import type { TransferResult } from '../src/modules/ledger/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { MONEY_ERRORS, resultUnion } from './errors.js';
import { loadTransaction, TransactionRef } from './transaction.js';

const TransferInput = builder.inputType('TransferInput', {
  description: 'A transfer of Stars from one user to another.',
  fields: (t) => ({
    fromUserId: t.id({ required: true, description: 'The paying user; must exist and have the Stars.' }),
    toUserId: t.id({ required: true, description: 'The receiving user; created on first use.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Stars, at most 2 decimal places.' }),
    description: t.string({ required: false, description: 'At most 500 characters.' }),
    metadata: t.field({
      type: 'Metadata',
      required: false,
      description: 'Flat object; `streamId` marks a donation to a stream (`donationReceived`).',
    }),
  }),
});

const TransferStatusEnum = builder.enumType('TransferStatus', {
  description: 'Where a transfer stands. Transfers are posted at once, so an answer is always COMPLETED.',
  values: enumValues<'completed'>({ completed: 'Posted: both balances have changed.' }),
});

export const TransferRef = builder.objectRef<TransferResult>('Transfer').implement({
  description: 'A completed movement of Stars between two users of the merchant.',
  fields: (t) => ({
    transactionId: t.exposeID('id', {
      description: 'The ledger transaction (`tx_…`), the Node id of `transaction`.',
    }),
    transaction: t.field({
      type: TransactionRef,
      description: 'The transfer as the ledger lists it (for Relay stores: the Node to update).',
      resolve: async (r, _args, ctx) => (await loadTransaction(ctx, r.id))!,
    }),
    status: t.field({ type: TransferStatusEnum, description: 'Always COMPLETED.', resolve: (r) => r.status }),
    amount: t.field({ type: 'Decimal', description: 'Stars moved.', resolve: (r) => r.amountMinor }),
    fromUserId: t.exposeID('fromUserId', { description: 'The paying user.' }),
    toUserId: t.exposeID('toUserId', { description: 'The receiving user.' }),
    fromBalance: t.field({
      type: 'Decimal',
      description: "Payer's balance right after.",
      resolve: (r) => r.fromBalanceMinor,
    }),
    toBalance: t.field({
      type: 'Decimal',
      description: "Payee's balance right after.",
      resolve: (r) => r.toBalanceMinor,
    }),
    description: t.exposeString('description', { nullable: true, description: 'The text given with it.' }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: 'The metadata given with it.',
      resolve: (r) => r.metadata,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (r) => r.createdAt }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this is the stored result of an earlier request with the same idempotency key.',
    }),
  }),
});

builder.mutationField('transfer', (t) =>
  t.field({
    type: TransferRef,
    description: 'Moves Stars between two users (donations, subscriptions, purchases). API keys only.',
    authScopes: { merchant: true },
    args: {
      input: t.arg({ type: TransferInput, required: true, description: 'Who pays whom, and how much.' }),
      idempotencyKey: t.arg.string({
        required: false,
        description:
          'Retries with the same key (1-255 printable ASCII characters) make one transfer and answer the first result again.',
      }),
    },
    errors: {
      types: MONEY_ERRORS,
      directResult: true,
      union: resultUnion('TransferResult', 'The transfer'),
    },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.ledger.transfer(tenantOf(ctx), input, idempotencyKey),
  }),
);
