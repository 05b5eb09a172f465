import type { Context } from '../src/context.js';
import type { Mode } from '../src/lib/tenant.js';
import {
  type FailedJob,
  type HotWalletStatus,
  type OpsStatus,
  opsStatus,
  type QueueCounts,
  type QueueStatus,
  retryAllFailed,
  retryJob,
  type ScannerStatus,
  type WebhookBacklog,
} from '../src/ops/status.js';
import { builder } from './builder.js';
import { ModeEnum } from './merchant.js';

// Admin-only ops view (src/ops/status.ts): queue counts and failed jobs, scanner head/cursor/lag per chain,
// the webhook backlog per endpoint and the hot wallets, typed so dashboards (the portal) get checked types.

function deps(ctx: Context) {
  return ctx.services.ops;
}

const CountsRef = builder.objectRef<QueueCounts>('QueueCounts').implement({
  description: 'How many jobs a queue holds in each state.',
  fields: (t) => ({
    waiting: t.exposeInt('waiting', { description: 'Ready and not yet taken (prioritized ones included).' }),
    prioritized: t.exposeInt('prioritized', { description: 'The part of `waiting` that is prioritized.' }),
    active: t.exposeInt('active', { description: 'Being worked on now.' }),
    delayed: t.exposeInt('delayed', { description: 'Waiting for their time (retries with backoff).' }),
    failed: t.exposeInt('failed', { description: 'Given up; `retryJob` or `retryAllFailed` retries them.' }),
    completed: t.exposeInt('completed', { description: 'Done (the queue keeps a bounded number).' }),
  }),
});

const FailedJobRef = builder.objectRef<FailedJob>('FailedJob').implement({
  description: 'A job that failed for good.',
  fields: (t) => ({
    jobId: t.exposeID('id', { description: 'The job, for `retryJob`.' }),
    name: t.exposeString('name', { description: 'What the job does.' }),
    failedReason: t.exposeString('failedReason', { description: 'The last error.' }),
    attemptsMade: t.exposeInt('attemptsMade', { description: 'Attempts before it was given up.' }),
    failedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it failed for good.',
      resolve: (j) => j.failedAt,
    }),
  }),
});

const QueueRef = builder.objectRef<QueueStatus>('QueueStatus').implement({
  description: 'One job queue (Redis).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The queue, for `retryJob` and `retryAllFailed`.' }),
    paused: t.exposeBoolean('paused', { nullable: true, description: 'Null when Redis did not answer.' }),
    counts: t.field({
      type: CountsRef,
      nullable: true,
      description: 'Jobs per state; null when Redis did not answer.',
      resolve: (q) => q.counts,
    }),
    oldestWaitingAgeSeconds: t.exposeFloat('oldestWaitingAgeSeconds', {
      nullable: true,
      description: 'How long the oldest waiting job has waited; null when none waits.',
    }),
    failedJobs: t.field({
      type: [FailedJobRef],
      description: 'The most recently failed jobs, newest first.',
      resolve: (q) => q.failedJobs,
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why the queue could not be read.' }),
  }),
});

const ScannerRef = builder.objectRef<ScannerStatus>('ScannerStatus').implement({
  description: 'A chain scanner: how far behind the chain head it is.',
  fields: (t) => ({
    chain: t.exposeString('chain', { description: 'The network and mode, such as `TRC20:test`.' }),
    headBlock: t.exposeInt('headBlock', { nullable: true, description: 'The newest block seen.' }),
    cursorBlock: t.exposeInt('cursorBlock', { description: 'The next block to scan.' }),
    lagBlocks: t.exposeInt('lagBlocks', { nullable: true, description: 'Blocks seen but not yet scanned.' }),
    lagSeconds: t.exposeFloat('lagSeconds', {
      nullable: true,
      description: 'Seconds since the scanner last read the head (grows when it stalls).',
    }),
    headSeenAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the head was last read.',
      resolve: (s) => s.headSeenAt,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the cursor last moved.',
      resolve: (s) => s.updatedAt,
    }),
  }),
});

const BacklogRef = builder.objectRef<WebhookBacklog>('WebhookBacklog').implement({
  description: 'A webhook endpoint with deliveries still to make.',
  fields: (t) => ({
    endpointId: t.exposeID('endpointId', { description: 'The endpoint (`whe_…`).' }),
    merchantId: t.exposeID('merchantId', { description: 'Its merchant.' }),
    mode: t.field({ type: ModeEnum, description: 'Its mode.', resolve: (b) => b.mode as Mode }),
    url: t.exposeString('url', { description: 'Where it delivers.' }),
    enabled: t.boolean({ description: 'False when disabled.', resolve: (b) => b.status === 'enabled' }),
    failingSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Since when every delivery has failed.',
      resolve: (b) => b.failingSince,
    }),
    pending: t.exposeInt('pending', { description: 'Deliveries not yet succeeded or given up.' }),
    due: t.exposeInt('due', { description: 'Of those, the ones due now.' }),
    oldestPendingAgeSeconds: t.exposeFloat('oldestPendingAgeSeconds', {
      description: 'Age of the oldest pending delivery.',
    }),
  }),
});

const TokenBalanceRef = builder
  .objectRef<{ network: string; units: string }>('HotWalletTokenBalance')
  .implement({
    description: "A hot wallet's token balance on one network.",
    fields: (t) => ({
      network: t.exposeString('network', { description: 'The network.' }),
      balanceBaseUnits: t.field({
        type: 'Decimal',
        description: "In the token's smallest unit (an integer).",
        resolve: (b) => b.units,
      }),
    }),
  });

const HotWalletRef = builder.objectRef<HotWalletStatus>('HotWalletStatus').implement({
  description: 'A hot wallet that pays withdrawals out.',
  fields: (t) => ({
    walletKey: t.exposeID('key', { description: 'The wallet: family, network, mode and address.' }),
    family: t.exposeString('family', { description: 'The chain family: tron or evm.' }),
    address: t.exposeString('address', { description: 'Its address.' }),
    networks: t.exposeStringList('networks', { description: 'The networks it pays on.' }),
    nativeBalanceBaseUnits: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Its balance for fees, in sun or wei (an integer), as the worker last read it.',
      resolve: (w) => w.balances.native ?? null,
    }),
    tokenBalances: t.field({
      type: [TokenBalanceRef],
      description: 'Its token balance per network, as the worker last read it.',
      resolve: (w) => Object.entries(w.balances.token ?? {}).map(([network, units]) => ({ network, units })),
    }),
    alert: t.exposeString('alert', {
      nullable: true,
      description: 'Why payouts wait; null when all is well.',
    }),
    checkedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the worker last read it.',
      resolve: (w) => w.checkedAt,
    }),
    inFlight: t.exposeInt('inFlight', { description: 'Payouts signed or sent, not yet in a block.' }),
    confirming: t.exposeInt('confirming', { description: 'Payouts in a block, not yet final.' }),
  }),
});

export const OpsRef = builder.objectRef<OpsStatus>('OpsStatus').implement({
  description: 'Is everything flowing? Queues, chain scanners, the webhook backlog and the hot wallets.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'When this was read.', resolve: (s) => s.at }),
    queues: t.field({ type: [QueueRef], description: 'Every job queue.', resolve: (s) => s.queues }),
    scanners: t.field({
      type: [ScannerRef],
      description: 'Every chain scanner.',
      resolve: (s) => s.scanners,
    }),
    webhookBacklog: t.field({
      type: [BacklogRef],
      description: 'Endpoints with pending deliveries, most behind first.',
      resolve: (s) => s.webhookBacklog,
    }),
    hotWallets: t.field({
      type: [HotWalletRef],
      description: 'Every hot wallet.',
      resolve: (s) => s.hotWallets,
    }),
  }),
});

builder.queryField('ops', (t) =>
  t.field({
    type: OpsRef,
    description:
      'Admin only: queues (counts, oldest waiting age, failed jobs), scanners (head, cursor, lag), webhook backlog, hot wallets.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => opsStatus(deps(ctx)),
  }),
);

builder.mutationField('retryJob', (t) =>
  t.boolean({
    description:
      'Admin only: retry one failed job; false when the queue has no such failed job. A queue nobody has (a typo) is the error `not_found` ("Queue \'…\' not found", `param` `queue`).',
    authScopes: { admin: true },
    args: {
      queue: t.arg.string({ required: true, description: 'The queue name, as `ops` lists it.' }),
      jobId: t.arg.id({ required: true, description: 'The failed job, as `ops` lists it.' }),
    },
    resolve: (_root, args, ctx) => retryJob(deps(ctx), args.queue, args.jobId),
  }),
);

builder.mutationField('retryAllFailed', (t) =>
  t.int({
    description:
      'Admin only: retry every failed job of a queue; answers how many. A queue nobody has (a typo) is the error `not_found` ("Queue \'…\' not found", `param` `queue`).',
    authScopes: { admin: true },
    args: { queue: t.arg.string({ required: true, description: 'The queue name, as `ops` lists it.' }) },
    resolve: (_root, args, ctx) => retryAllFailed(deps(ctx), args.queue),
  }),
);
