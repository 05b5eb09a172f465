import {
  ConflictError,
  ForbiddenError,
  InsufficientFundsError,
  NotFoundError,
  ValidationError,
} from '../src/lib/errors.js';
import type { Resolution, ResolutionAction, UnexpectedFund } from '../src/modules/admin/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, pageComplexity, pageTypes } from './pagination.js';

// Unexpected funds (issue 19): payments to our deposit addresses that no deposit takes (the chain's coin, a
// foreign token), and their one-time resolution by an admin (src/modules/admin/unexpected.ts).

const ActionEnum = builder.enumType('UnexpectedFundAction', {
  description: 'How an admin resolved an unexpected payment.',
  values: enumValues<ResolutionAction>({
    credit: "Stars were credited to a user (a ledger posting from the merchant's unexpected_funds book).",
    refund: 'Marked to be sent back on chain by hand (NovaPayments does not send foreign tokens).',
    ignore: 'Left as it is, with a reason (dust, a test).',
  }),
});

const StateEnum = builder.enumType('UnexpectedFundState', {
  description: 'Whether an unexpected payment still needs a decision.',
  values: enumValues<'open' | 'resolved'>({
    open: 'Nobody has resolved it yet.',
    resolved: 'An admin credited, marked for refund or ignored it.',
  }),
});

const ResolutionRef = builder.objectRef<Resolution>('UnexpectedFundResolution').implement({
  description: "An admin's decision about an unexpected payment (made once).",
  fields: (t) => ({
    action: t.field({ type: ActionEnum, description: 'What was decided.', resolve: (r) => r.action }),
    userId: t.exposeID('userId', { nullable: true, description: 'The user credited (CREDIT only).' }),
    amount: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Stars credited (CREDIT only).',
      resolve: (r) => r.amountMinor,
    }),
    transactionId: t.exposeID('transactionId', {
      nullable: true,
      description: 'The ledger transaction of the credit (`tx_…`).',
    }),
    reason: t.exposeString('reason', { description: 'Why.' }),
    actor: t.exposeString('actor', { description: 'Who decided (`admin:<subject>`).' }),
    createdAt: t.field({ type: 'DateTime', description: 'When.', resolve: (r) => r.createdAt }),
  }),
});

const FundRef = builder.objectRef<UnexpectedFund>('UnexpectedFund').implement({
  description:
    'A payment to one of our deposit addresses that no deposit takes: the chain coin (TRX, ETH…) or a token other than the deposit token.',
  fields: (t) => ({
    unexpectedFundId: t.exposeID('id', { description: 'Its number, for `resolveUnexpectedFund`.' }),
    chain: t.exposeString('chain', {
      description: 'The chain and mode it was seen on, such as `tron:test`.',
    }),
    txHash: t.exposeString('txHash', { description: 'The transaction on chain.' }),
    logIndex: t.exposeInt('logIndex', {
      description: 'The transfer in the transaction; -1 for a coin payment.',
    }),
    blockNumber: t.exposeInt('blockNumber', { description: 'The block it is in.' }),
    address: t.exposeString('address', { description: 'Our address it was paid to.' }),
    asset: t.exposeString('asset', { description: 'TRX or `native`, or the foreign token contract.' }),
    amountBaseUnits: t.field({
      type: 'Decimal',
      description: "The amount in the asset's smallest unit (sun, wei, token units): an integer.",
      resolve: (f) => f.amountBaseUnits,
    }),
    depositId: t.exposeID('depositId', { nullable: true, description: 'The deposit that owns the address.' }),
    merchantId: t.exposeID('merchantId', { nullable: true, description: "That deposit's merchant." }),
    mode: t.field({
      type: ModeEnum,
      nullable: true,
      description: "That deposit's mode.",
      resolve: (f) => f.mode,
    }),
    userId: t.exposeID('userId', { nullable: true, description: "That deposit's user." }),
    network: t.exposeString('network', { nullable: true, description: "That deposit's network." }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When the scanner saw it.',
      resolve: (f) => f.createdAt,
    }),
    resolution: t.field({
      type: ResolutionRef,
      nullable: true,
      description: 'The decision; null while OPEN.',
      resolve: (f) => f.resolution,
    }),
  }),
});

const Filter = builder.inputType('UnexpectedFundFilter', {
  description: 'Narrows the list of unexpected payments; every field is optional.',
  fields: (t) => ({
    state: t.field({ type: StateEnum, required: false, description: 'OPEN or RESOLVED.' }),
    merchantId: t.id({ required: false, description: 'One merchant.' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'One mode.' }),
    chain: t.string({ required: false, description: 'One chain, such as `tron:test`.' }),
    txHash: t.string({ required: false, description: 'One transaction.' }),
    address: t.string({ required: false, description: 'One of our addresses.' }),
    from: t.field({ type: 'DateTime', required: false, description: 'Seen at or after this time.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Seen before this time.' }),
  }),
});

builder.queryField('unexpectedFunds', (t) =>
  t.connection(
    {
      type: FundRef,
      description: 'Admin only: unexpected payments to our addresses, newest first.',
      authScopes: { admin: true },
      args: {
        filter: t.arg({ type: Filter, required: false, description: 'State, merchant, chain, time.' }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'unexpectedFunds', scope: ['admin'] }, (page) =>
          ctx.services.admin.unexpected.list({ ...(args.filter ?? {}), ...page }),
        ),
    },
    ...pageTypes('UnexpectedFundConnection', 'unexpected payments'),
  ),
);

builder.queryField('unexpectedFund', (t) =>
  t.field({
    type: FundRef,
    nullable: true,
    description: 'Admin only: one unexpected payment; null when there is none with this number.',
    authScopes: { admin: true },
    args: { unexpectedFundId: t.arg.id({ required: true, description: 'Its `unexpectedFundId`.' }) },
    resolve: (_root, args, ctx) => ctx.services.admin.unexpected.get(args.unexpectedFundId),
  }),
);

const ResolveInput = builder.inputType('ResolveUnexpectedFundInput', {
  description: 'What to do with an unexpected payment.',
  fields: (t) => ({
    action: t.field({ type: ActionEnum, required: true, description: 'CREDIT, REFUND or IGNORE.' }),
    userId: t.id({
      required: false,
      description: "CREDIT only: the user to credit (default: the deposit's user).",
    }),
    amount: t.field({
      type: 'Decimal',
      required: false,
      description: 'CREDIT only: the Stars to credit (required: a foreign asset has no rate).',
    }),
    reason: t.string({ required: true, description: 'Why; kept with the decision and in the audit.' }),
  }),
});

builder.mutationField('resolveUnexpectedFund', (t) =>
  t.field({
    type: FundRef,
    description:
      'Admin only: credits Stars to a user, marks for refund, or ignores an unexpected payment, once (audited). A second resolution is a ConflictError (409 conflict), never a second credit.',
    authScopes: { admin: true },
    args: {
      unexpectedFundId: t.arg.id({ required: true, description: 'Its `unexpectedFundId`.' }),
      input: t.arg({ type: ResolveInput, required: true, description: 'The decision.' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError, InsufficientFundsError, ForbiddenError],
      directResult: true,
      union: resultUnion('ResolveUnexpectedFundResult', 'The resolved payment'),
    },
    resolve: (_root, { unexpectedFundId, input }, ctx) => {
      const p = ctx.principal;
      if (p.kind !== 'admin') throw new ForbiddenError('Admins only');
      return ctx.services.admin.unexpected.resolve(unexpectedFundId, input, `admin:${p.subject}`);
    },
  }),
);
