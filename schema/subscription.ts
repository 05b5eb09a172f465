import { type Context, canReadUser, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import { parseStreamId, parseUserId } from '../src/lib/ids.js';
import {
  type BalanceMessage,
  type DonationMessage,
  type TransactionMessage,
  topicKey,
  topicStream,
} from '../src/modules/events/index.js';
import type { TxType } from '../src/modules/ledger/index.js';
import { builder } from './builder.js';
import { DirectionEnum, TransactionTypeEnum } from './transaction.js';

// Live events over graphql-ws, fed by the outbox relay through Redis pub/sub (any instance → every instance).
// The payloads keep the messages' fields and values (exact decimal strings, ISO times); the schema types them
// as Decimal, DateTime and ID like everywhere else. They are events, not Nodes: `id` is the transaction's.

const BalanceUpdateRef = builder.objectRef<BalanceMessage>('BalanceUpdate').implement({
  description: "A user's new balance, sent by `balanceUpdated` after every movement.",
  fields: (t) => ({
    userId: t.exposeID('userId', { description: 'The user.' }),
    balance: t.field({
      type: 'Decimal',
      description: 'The balance in Stars after the movement, such as "4570.00".',
      resolve: (m) => m.balance,
    }),
    transactionId: t.exposeID('transactionId', { description: 'The movement that changed it (`tx_…`).' }),
    updatedAt: t.field({ type: 'DateTime', description: 'When it changed.', resolve: (m) => m.updatedAt }),
  }),
});

const TransactionEventRef = builder.objectRef<TransactionMessage>('TransactionEvent').implement({
  description:
    "A new movement on a user's account as that user's side, sent by `transactionCreated` (the same fields as a UserTransaction).",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The ledger transaction (`tx_…`).' }),
    userId: t.exposeID('userId', { description: 'The user whose side this is.' }),
    type: t.field({
      type: TransactionTypeEnum,
      description: 'What moved the Stars.',
      resolve: (m) => m.type as TxType,
    }),
    amount: t.field({
      type: 'Decimal',
      description: "Stars, negative for this user's debits.",
      resolve: (m) => m.amount,
    }),
    direction: t.field({
      type: DirectionEnum,
      description: "For this user's balance.",
      resolve: (m) => m.direction,
    }),
    balanceBefore: t.field({
      type: 'Decimal',
      description: "This user's balance right before.",
      resolve: (m) => m.balanceBefore,
    }),
    balanceAfter: t.field({
      type: 'Decimal',
      description: "This user's balance right after.",
      resolve: (m) => m.balanceAfter,
    }),
    fromUserId: t.exposeID('fromUserId', {
      nullable: true,
      description: "The paying user; null when the Stars came from the merchant's books.",
    }),
    toUserId: t.exposeID('toUserId', {
      nullable: true,
      description: "The receiving user; null when the Stars went to the merchant's books.",
    }),
    description: t.exposeString('description', { nullable: true, description: 'The text given with it.' }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: 'The metadata given with it.',
      resolve: (m) => m.metadata,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (m) => m.createdAt }),
  }),
});

const DonationRef = builder.objectRef<DonationMessage>('Donation').implement({
  description: 'A transfer whose metadata.streamId names the stream, sent by `donationReceived`.',
  fields: (t) => ({
    id: t.exposeID('id', {
      description: 'The transfer (`tx_…`); deduplicate on it (delivery is at least once).',
    }),
    streamId: t.exposeID('streamId', { description: 'The stream.' }),
    fromUserId: t.exposeID('fromUserId', { description: 'The donor.' }),
    toUserId: t.exposeID('toUserId', { description: 'The streamer who received it.' }),
    amount: t.field({ type: 'Decimal', description: 'Stars donated.', resolve: (m) => m.amount }),
    message: t.exposeString('description', {
      nullable: true,
      description: "The transfer's description: the donor's message.",
    }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: "The transfer's metadata (streamId, and whatever else you sent, such as a donorName).",
      resolve: (m) => m.metadata,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (m) => m.createdAt }),
  }),
});

function requireUser(ctx: Context, userId: string): string {
  const id = parseUserId(userId, 'userId');
  if (!canReadUser(ctx, id, 'subscribe'))
    throw new ForbiddenError('This credential may not subscribe to this user');
  return id;
}

builder.subscriptionType({
  description:
    'Live events over graphql-ws on the same URL (`ws(s)://…/graphql`); delivery is at least once.',
});

builder.subscriptionField('balanceUpdated', (t) =>
  t.field({
    type: BalanceUpdateRef,
    description: "The user's balance after every movement.",
    args: { userId: t.arg.id({ required: true, description: 'Your id for the user.' }) },
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
    args: { userId: t.arg.id({ required: true, description: 'Your id for the user.' }) },
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
    args: {
      streamId: t.arg.id({
        required: true,
        description: 'The stream, as transfers name it in `metadata.streamId`.',
      }),
    },
    subscribe: (_root, args, ctx) => {
      const streamId = parseStreamId(args.streamId, 'streamId');
      const p = ctx.principal;
      const allowed = p.kind === 'merchant' || (p.kind === 'stream' && p.streamId === streamId);
      if (!allowed) throw new ForbiddenError('This credential may not subscribe to this stream');
      const { merchantId, mode } = tenantOf(ctx);
      return topicStream(ctx.services.pubsub, 'donation', topicKey(merchantId, mode, streamId));
    },
    resolve: (m) => m,
  }),
);
