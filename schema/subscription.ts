import { type Context, canReadUser, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import {
  type BalanceMessage,
  type DonationMessage,
  type TransactionMessage,
  topicKey,
  topicStream,
} from '../src/modules/events/topics.js';
import { parseUserId } from '../src/modules/ledger/validation.js';
import { builder } from './builder.js';
import { DirectionEnum, TransactionTypeEnum } from './transaction.js';

// Live events over graphql-ws, fed by the outbox relay through Redis pub/sub (any instance → every instance).

const BalanceUpdateRef = builder.objectRef<BalanceMessage>('BalanceUpdate').implement({
  fields: (t) => ({
    userId: t.exposeString('userId'),
    balance: t.exposeString('balance', { description: 'Decimal Stars, e.g. "4570.00".' }),
    transactionId: t.exposeID('transactionId'),
    updatedAt: t.exposeString('updatedAt'),
  }),
});

const TransactionEventRef = builder.objectRef<TransactionMessage>('TransactionEvent').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeString('userId'),
    type: t.field({ type: TransactionTypeEnum, resolve: (m) => m.type as never }),
    amount: t.exposeString('amount', { description: "Decimal Stars, negative for this user's debits." }),
    direction: t.field({ type: DirectionEnum, resolve: (m) => m.direction }),
    balanceBefore: t.exposeString('balanceBefore'),
    balanceAfter: t.exposeString('balanceAfter'),
    fromUserId: t.exposeString('fromUserId', { nullable: true }),
    toUserId: t.exposeString('toUserId', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    metadata: t.field({ type: 'Metadata', nullable: true, resolve: (m) => m.metadata }),
    createdAt: t.exposeString('createdAt'),
  }),
});

const DonationRef = builder.objectRef<DonationMessage>('Donation').implement({
  description: 'A transfer whose metadata.streamId names the stream.',
  fields: (t) => ({
    id: t.exposeID('id'),
    streamId: t.exposeString('streamId'),
    fromUserId: t.exposeString('fromUserId'),
    toUserId: t.exposeString('toUserId'),
    amount: t.exposeString('amount', { description: 'Decimal Stars.' }),
    message: t.exposeString('description', { nullable: true }),
    metadata: t.field({ type: 'Metadata', nullable: true, resolve: (m) => m.metadata }),
    createdAt: t.exposeString('createdAt'),
  }),
});

function requireUser(ctx: Context, userId: string): string {
  const id = parseUserId(userId, 'userId');
  if (!canReadUser(ctx, id, 'subscribe'))
    throw new ForbiddenError('This credential may not subscribe to this user');
  return id;
}

builder.subscriptionType({});

builder.subscriptionField('balanceUpdated', (t) =>
  t.field({
    type: BalanceUpdateRef,
    description: "The user's balance after every movement.",
    args: { userId: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const id = requireUser(ctx, args.userId);
      const { merchantId, mode } = tenantOf(ctx);
      return topicStream(ctx.services.pubsub, 'balance', topicKey(merchantId, mode, id));
    },
    resolve: (m) => m,
  }),
);

builder.subscriptionField('transactionCreated', (t) =>
  t.field({
    type: TransactionEventRef,
    description: "Each new movement on the user's account, as that user's side.",
    args: { userId: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const id = requireUser(ctx, args.userId);
      const { merchantId, mode } = tenantOf(ctx);
      return topicStream(ctx.services.pubsub, 'transaction', topicKey(merchantId, mode, id));
    },
    resolve: (m) => m,
  }),
);

builder.subscriptionField('donationReceived', (t) =>
  t.field({
    type: DonationRef,
    description: 'Transfers whose metadata.streamId matches: for alert overlays.',
    args: { streamId: t.arg.string({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const streamId = parseUserId(args.streamId, 'streamId');
      const p = ctx.principal;
      const allowed = p.kind === 'merchant' || (p.kind === 'stream' && p.streamId === streamId);
      if (!allowed) throw new ForbiddenError('This credential may not subscribe to this stream');
      const { merchantId, mode } = tenantOf(ctx);
      return topicStream(ctx.services.pubsub, 'donation', topicKey(merchantId, mode, streamId));
    },
    resolve: (m) => m,
  }),
);
