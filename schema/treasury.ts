import type { Mode } from '../src/lib/tenant.js';
import type { TreasuryDifference, TreasuryNetworkStatus } from '../src/modules/treasury/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { ModeEnum } from './merchant.js';
import { OpsRef } from './ops.js';

// The treasury in the admin `ops` view (docs/treasury.md): per network and mode, custody by the house books,
// sweeps under way and failed, fees of the last day, and the last comparison of the books with the chain.

type Custody = TreasuryNetworkStatus['custody'][number];
type Reconciliation = NonNullable<TreasuryNetworkStatus['reconciliation']>;

const ReconciliationStatusEnum = builder.enumType('TreasuryReconciliationStatus', {
  description: 'How the last comparison of custody on chain with the house books came out.',
  values: enumValues({
    ok: 'The chain holds what the books say.',
    in_flight: 'They differ while transactions, payouts or payments are still moving: it settles by itself.',
    mismatch: 'They differ with nothing moving: an alert (the differences say where).',
  }),
});

const CustodyRef = builder.objectRef<Custody>('TreasuryCustody').implement({
  description: 'What the house books say the platform holds in one place.',
  fields: (t) => ({
    asset: t.exposeString('asset', {
      description: "The asset: token (the network's USDT) or native (TRX, ETH, BNB).",
    }),
    place: t.exposeString('place', {
      description:
        'The place: deposits (stranded on deposit addresses), hot, cold, or staking (TRON: the staking account that lends sweeps their energy).',
    }),
    balanceBaseUnits: t.field({
      type: 'Decimal',
      description: 'In base units (token units, sun, wei; an integer).',
      resolve: (c) => c.balance,
    }),
  }),
});

const DifferenceRef = builder.objectRef<TreasuryDifference>('TreasuryDifference').implement({
  description: 'A place where the chain and the books disagree.',
  fields: (t) => ({
    asset: t.exposeString('asset', { description: 'The asset: token or native.' }),
    place: t.exposeString('place', { description: 'The place: deposits, hot, cold or staking.' }),
    onChainBaseUnits: t.field({
      type: 'Decimal',
      description: 'What the chain holds.',
      resolve: (d) => d.onChain,
    }),
    booksBaseUnits: t.field({ type: 'Decimal', description: 'What the books say.', resolve: (d) => d.books }),
    differenceBaseUnits: t.field({
      type: 'Decimal',
      description: 'Chain minus books: positive when the chain holds more.',
      resolve: (d) => d.difference,
    }),
    addresses: t.stringList({
      description: 'Deposit addresses that hold this asset (the deposits place only), with their balances.',
      resolve: (d) => d.addresses.map((a) => `${a.address} ${a.balance}`),
    }),
  }),
});

const ReconciliationRef = builder.objectRef<Reconciliation>('TreasuryReconciliation').implement({
  description: 'The last comparison of custody on chain with the house books.',
  fields: (t) => ({
    status: t.field({
      type: ReconciliationStatusEnum,
      description: 'How it came out.',
      resolve: (r) => r.status,
    }),
    checkedAt: t.field({ type: 'DateTime', description: 'When it ran.', resolve: (r) => r.checkedAt }),
    alert: t.exposeString('alert', {
      nullable: true,
      description: 'The alert of a mismatch; null otherwise.',
    }),
    differences: t.field({
      type: [DifferenceRef],
      description: 'Where they differ.',
      resolve: (r) => r.differences,
    }),
  }),
});

const NetworkRef = builder.objectRef<TreasuryNetworkStatus>('TreasuryNetworkStatus').implement({
  description: 'The treasury of one network and mode.',
  fields: (t) => ({
    network: t.exposeString('network', { description: 'The network (TRC20, ERC20, …).' }),
    mode: t.field({ type: ModeEnum, description: 'Live or test.', resolve: (s) => s.mode as Mode }),
    custody: t.field({ type: [CustodyRef], description: 'Custody by the books.', resolve: (s) => s.custody }),
    sweepsOpen: t.exposeInt('sweepsOpen', {
      description: 'Sweeps planned, funding, waiting for energy, signed or confirming.',
    }),
    sweepsFailed24h: t.exposeInt('sweepsFailed24h', {
      description: 'Sweeps that failed in the last 24 hours.',
    }),
    paused: t.exposeBoolean('paused', {
      description: 'Ops paused its sweeping (pauseSweeping): passes start nothing new.',
    }),
    pausedBy: t.exposeString('pausedBy', {
      nullable: true,
      description: 'Who paused it; null unless paused.',
    }),
    pausedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was paused; null unless paused.',
      resolve: (s) => s.pausedAt,
    }),
    fees24hBaseUnits: t.field({
      type: 'Decimal',
      description:
        "The chain's coin burned in the last 24 hours (sun, wei; an integer): sweeps, top-ups, payouts.",
      resolve: (s) => s.fees24h,
    }),
    reconciliation: t.field({
      type: ReconciliationRef,
      nullable: true,
      description: 'The last comparison with the chain; null before the first.',
      resolve: (s) => s.reconciliation,
    }),
  }),
});

builder.objectField(OpsRef, 'treasury', (t) =>
  t.field({
    type: [NetworkRef],
    description:
      'Per network and mode: custody, sweeps, fees and the last reconciliation (docs/treasury.md).',
    resolve: (s) => s.treasury,
  }),
);
