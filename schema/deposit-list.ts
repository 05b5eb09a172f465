import { adminOrTenant } from '../src/context.js';
import { formatToken } from '../src/lib/money.js';
import type { DepositPayment } from '../src/modules/admin/index.js';
import { builder } from './builder.js';
import { DepositRef } from './deposit.js';
import { DepositFlagEnum, DepositStatusEnum } from './deposit-progress.js';
import { enumValues } from './enums.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, listScope, pageComplexity, pageTypes } from './pagination.js';

// The list of deposits (a merchant's own; every merchant's for admins, issue 19) and where a deposit's money
// went: each payment seen on chain and the ledger transaction that credited it.

const DepositFilter = builder.inputType('DepositFilter', {
  description: 'Narrows the list of deposits; every field is optional.',
  fields: (t) => ({
    userId: t.id({ required: false, description: "Only this user's." }),
    status: t.field({ type: DepositStatusEnum, required: false, description: 'Only this status.' }),
    network: t.string({ required: false, description: 'Only this network.' }),
    flags: t.field({
      type: [DepositFlagEnum],
      required: false,
      description: 'Only deposits with every one of these flags (LATE, UNDERPAID, OVERPAID, MULTIPLE).',
    }),
    from: t.field({ type: 'DateTime', required: false, description: 'Created at or after this time.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Created before this time.' }),
    merchantId: t.id({ required: false, description: 'Admins only: one merchant (default: every one).' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'Admins only: one mode (default: both).' }),
  }),
});

builder.queryField('deposits', (t) =>
  t.connection(
    {
      type: DepositRef,
      description:
        "The merchant's deposits in this mode, newest first (API keys); admins see every merchant's (filter by merchantId, mode).",
      authScopes: { merchant: true, admin: true },
      args: {
        filter: t.arg({
          type: DepositFilter,
          required: false,
          description: 'User, status, network, flags, time; merchant and mode for admins.',
        }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'deposits', scope: listScope(ctx) }, (page) =>
          ctx.services.admin.reads.deposits({
            ...adminOrTenant(ctx, args.filter),
            userId: args.filter?.userId ?? null,
            status: args.filter?.status ?? null,
            network: args.filter?.network ?? null,
            flags: args.filter?.flags ?? null,
            from: args.filter?.from ?? null,
            to: args.filter?.to ?? null,
            ...page,
          }),
        ),
    },
    ...pageTypes('DepositConnection', 'deposits'),
  ),
);

const PaymentStatusEnum = builder.enumType('DepositPaymentStatus', {
  description: 'Where a payment seen on chain stands.',
  values: enumValues<DepositPayment['status']>({
    seen: 'In a block, gathering confirmations; not credited yet.',
    credited: 'Confirmed and credited: `transactionId` is the ledger transaction.',
    orphaned: 'Its block left the chain (a reorganisation); it is credited if it comes back.',
  }),
});

const PaymentRef = builder.objectRef<DepositPayment>('DepositPayment').implement({
  description: 'One token transfer to the deposit address, as the scanner saw it, and what became of it.',
  fields: (t) => ({
    txHash: t.exposeString('txHash', { description: 'The transaction on chain.' }),
    logIndex: t.exposeInt('logIndex', { description: 'The transfer within the transaction.' }),
    blockNumber: t.exposeInt('blockNumber', { description: 'The block it is in.' }),
    blockTime: t.field({ type: 'DateTime', description: "The block's time.", resolve: (p) => p.blockTime }),
    fromAddress: t.exposeString('fromAddress', { description: 'Who paid.' }),
    amount: t.field({
      type: 'Decimal',
      description: 'What arrived, in the token.',
      resolve: (p) => formatToken(BigInt(p.amountMinor), p.tokenDecimals),
    }),
    status: t.field({ type: PaymentStatusEnum, description: 'Where it stands.', resolve: (p) => p.status }),
    transactionId: t.exposeID('transactionId', {
      nullable: true,
      description: 'The ledger transaction that credited it (`tx_…`); null until credited.',
    }),
    creditedStars: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Stars it was credited as; null until credited.',
      resolve: (p) => p.creditedStarsMinor,
    }),
    postedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When its credit was posted to the ledger; null until then.',
      resolve: (p) => p.creditedAt,
    }),
  }),
});

builder.objectField(DepositRef, 'payments', (t) =>
  t.field({
    type: [PaymentRef],
    complexity: 10,
    description: 'Every payment seen on chain for this deposit, oldest first: where its money went.',
    resolve: (d, _args, ctx) => ctx.services.admin.reads.depositPayments(d.id),
  }),
);
