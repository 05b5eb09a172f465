import { tenantOf } from '../src/context.js';
import type { TransferResult } from '../src/modules/ledger/service.js';
import { builder } from './builder.js';
import { MONEY_ERRORS } from './errors.js';

const TransferInput = builder.inputType('TransferInput', {
  fields: (t) => ({
    fromUserId: t.string({ required: true }),
    toUserId: t.string({ required: true, description: 'Created on first use.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Stars, at most 2 decimal places.' }),
    description: t.string({ required: false, description: 'At most 500 characters.' }),
    metadata: t.field({
      type: 'Metadata',
      required: false,
      description: 'Flat object; `streamId` marks a donation to a stream.',
    }),
  }),
});

export const TransferRef = builder.objectRef<TransferResult>('Transfer').implement({
  description: 'A completed movement of Stars between two users of the merchant.',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.exposeString('status'),
    amount: t.field({ type: 'Decimal', resolve: (r) => r.amountMinor }),
    fromUserId: t.exposeString('fromUserId'),
    toUserId: t.exposeString('toUserId'),
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
    description: t.exposeString('description', { nullable: true }),
    metadata: t.field({ type: 'Metadata', nullable: true, resolve: (r) => r.metadata }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this is the stored result of an earlier request with the same idempotency key.',
    }),
  }),
});

builder.mutationField('transfer', (t) =>
  t.field({
    type: TransferRef,
    description: 'Moves Stars between two users (donations, subscriptions, purchases).',
    authScopes: { merchant: true },
    args: {
      input: t.arg({ type: TransferInput, required: true }),
      idempotencyKey: t.arg.string({
        required: false,
        description: 'Retries with the same key make one transfer.',
      }),
    },
    errors: { types: MONEY_ERRORS, directResult: true, union: { name: 'TransferResult' } },
    resolve: (_root, { input, idempotencyKey }, ctx) =>
      ctx.services.ledger.transfer(tenantOf(ctx), input, idempotencyKey),
  }),
);
