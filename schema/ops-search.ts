import type { AuditRow, LedgerTransactionView, SearchHit, SearchKind } from '../src/modules/admin/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { ModeEnum } from './merchant.js';
import { TransactionTypeEnum } from './transaction.js';

// "Where is this customer's money?" (issue 19): search by any id a customer might quote, a ledger
// transaction with both of its accounts, and the audit trail of admin actions. Admin tokens only.

const KindEnum = builder.enumType('OpsSearchKind', {
  description: 'What a search hit is.',
  values: enumValues<SearchKind>({
    deposit: 'A deposit (`deposit(id:)`).',
    withdrawal: 'A withdrawal (`withdrawal(id:)`).',
    transaction: 'A ledger transaction (`ledgerTransaction(id:)`).',
    event: 'An event (`node(id:)`).',
    webhook_endpoint: 'A webhook endpoint (`node(id:)`).',
    merchant: 'A merchant.',
    unexpected_fund: 'An unexpected payment (`unexpectedFund(unexpectedFundId:)`).',
  }),
});

const HitRef = builder.objectRef<SearchHit>('OpsSearchHit').implement({
  description: 'Something the search found.',
  fields: (t) => ({
    kind: t.field({ type: KindEnum, description: 'What it is.', resolve: (h) => h.kind }),
    objectId: t.exposeID('id', {
      description:
        'Its id: `dep_…`, `pay_…`, `tx_…`, `evt_…`, `whe_…`, `mer_…`, or an unexpected payment number.',
    }),
    merchantId: t.exposeID('merchantId', { nullable: true, description: 'Its merchant.' }),
    mode: t.field({
      type: ModeEnum,
      nullable: true,
      description: 'Its mode (null for a merchant).',
      resolve: (h) => h.mode as 'live' | 'test' | null,
    }),
    matched: t.exposeString('matched', { description: 'What matched: id, tx_hash, address or wallet.' }),
    summary: t.exposeString('summary', { description: 'A one-line description.' }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When it was made or seen.',
      resolve: (h) => h.createdAt,
    }),
  }),
});

builder.queryField('opsSearch', (t) =>
  t.field({
    type: [HitRef],
    description:
      'Admin only: finds deposits, withdrawals, ledger transactions, events, endpoints, merchants and unexpected payments by id, transaction hash or address, across merchants (at most 50, newest first).',
    authScopes: { admin: true },
    args: {
      query: t.arg.string({
        required: true,
        description:
          'An id (`dep_…`, `pay_…`, `tx_…`, `evt_…`, `whe_…`, `mer_…`), a transaction hash or an address.',
      }),
    },
    resolve: (_root, args, ctx) => ctx.services.admin.search(args.query),
  }),
);

const AccountRef = builder
  .objectRef<{ kind: string; code: string; balanceAfter: bigint }>('LedgerAccountSide')
  .implement({
    description: 'One account of a ledger transaction, with its balance right after.',
    fields: (t) => ({
      kind: t.exposeString('kind', {
        description: "Either user (the merchant's end user) or system (the merchant's books).",
      }),
      code: t.exposeString('code', {
        description:
          'The user id, or the book: adjustments, clearing:<network>, payouts_in_flight, unexpected_funds…',
      }),
      balanceAfter: t.field({
        type: 'Decimal',
        description: 'Its balance in Stars right after.',
        resolve: (a) => a.balanceAfter,
      }),
    }),
  });

const LedgerTxRef = builder.objectRef<LedgerTransactionView>('LedgerTransaction').implement({
  description: 'A ledger transaction with both of its accounts: where the Stars came from and went.',
  fields: (t) => ({
    transactionId: t.exposeID('id', { description: 'The transaction (`tx_…`).' }),
    merchantId: t.exposeID('merchantId', { description: 'The merchant whose books it is in.' }),
    mode: t.field({ type: ModeEnum, description: 'LIVE or TEST.', resolve: (x) => x.mode }),
    type: t.field({
      type: TransactionTypeEnum,
      description: 'What moved the Stars.',
      resolve: (x) => x.type as 'transfer',
    }),
    amount: t.field({ type: 'Decimal', description: 'Stars moved.', resolve: (x) => x.amountMinor }),
    fromAccount: t.field({
      type: AccountRef,
      description: 'The account the Stars left.',
      resolve: (x) => ({ kind: x.fromKind, code: x.fromCode, balanceAfter: x.fromBalanceAfterMinor }),
    }),
    toAccount: t.field({
      type: AccountRef,
      description: 'The account the Stars reached.',
      resolve: (x) => ({ kind: x.toKind, code: x.toCode, balanceAfter: x.toBalanceAfterMinor }),
    }),
    description: t.exposeString('description', { nullable: true, description: 'The text given with it.' }),
    metadata: t.field({
      type: 'Metadata',
      nullable: true,
      description: 'The metadata kept with it (a deposit id, a tx hash, an actor).',
      resolve: (x) => x.metadata,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (x) => x.createdAt }),
  }),
});

builder.queryField('ledgerTransaction', (t) =>
  t.field({
    type: LedgerTxRef,
    nullable: true,
    description: "Admin only: any merchant's ledger transaction with both accounts; null when there is none.",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The transaction (`tx_…`).' }) },
    resolve: (_root, args, ctx) => ctx.services.admin.reads.ledgerTransaction(args.id),
  }),
);

const AuditRef = builder.objectRef<AuditRow>('AdminAuditEntry').implement({
  description: 'One admin action of the ops console.',
  fields: (t) => ({
    actor: t.exposeString('actor', { description: 'Who (`admin:<subject>`).' }),
    action: t.exposeString('action', {
      description: 'What: unexpected_funds.credit|refund|ignore, webhooks.redeliver|enable|disable.',
    }),
    targetType: t.exposeString('targetType', {
      description: 'The kind of object: unexpected_fund, event or webhook_endpoint.',
    }),
    targetId: t.exposeID('targetId', { description: 'The object acted on.' }),
    merchantId: t.exposeID('merchantId', { nullable: true, description: 'Its merchant.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why, when one was given.' }),
    details: t.field({
      type: 'JSON',
      nullable: true,
      description: 'What was done in detail (the credit, the endpoints redelivered to).',
      resolve: (a) => a.details,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When.', resolve: (a) => a.createdAt }),
  }),
});

builder.queryField('adminAudit', (t) =>
  t.field({
    type: [AuditRef],
    description:
      'Admin only: the audit trail of one object (oldest first), or without arguments the newest 100 admin actions.',
    authScopes: { admin: true },
    args: {
      targetType: t.arg.string({
        required: false,
        description: 'unexpected_fund, event or webhook_endpoint.',
      }),
      targetId: t.arg.id({ required: false, description: 'The object.' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.admin.audit(
        args.targetType && args.targetId ? { type: args.targetType, id: args.targetId } : null,
      ),
  }),
);
