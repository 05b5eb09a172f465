import type { Context } from '../src/context.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../src/lib/errors.js';
import type { Mode } from '../src/lib/tenant.js';
import type { SweepingControl, SweepRequest } from '../src/modules/treasury/index.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';

// Ops' controls of sweeping (docs/treasury.md "Runbook"), admin tokens only and audited: a sweep pass now, a
// persisted pause of a network, and the sweep of one deposit address whatever the threshold. The API checks,
// records and enqueues; the signer's sweep job does the rest.

const ERRORS = [ValidationError, NotFoundError, ConflictError, UnsupportedNetworkError, ForbiddenError];

const SweepRequestRef = builder.objectRef<SweepRequest>('SweepRequest').implement({
  description: 'A sweep pass added to the network’s sweep queue; the signer runs it.',
  fields: (t) => ({
    network: t.exposeString('network', { description: 'The network (TRC20, ERC20, …).' }),
    mode: t.field({ type: ModeEnum, description: 'Live or test.', resolve: (r) => r.mode as Mode }),
    address: t.exposeString('address', {
      nullable: true,
      description: 'The deposit address to sweep (sweepAddress); null for a whole pass.',
    }),
    unsweptBaseUnits: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'For sweepAddress: its credited tokens not yet swept, in token units (an integer).',
      resolve: (r) => r.unsweptBaseUnits,
    }),
    jobId: t.exposeID('jobId', {
      description: 'The BullMQ job (Bull Board: `sweeps-<network>-<mode>`).',
    }),
  }),
});

const SweepingControlRef = builder.objectRef<SweepingControl>('SweepingControl').implement({
  description: 'Whether a network’s sweeping is paused.',
  fields: (t) => ({
    network: t.exposeString('network', { description: 'The network (TRC20, ERC20, …).' }),
    mode: t.field({ type: ModeEnum, description: 'Live or test.', resolve: (r) => r.mode as Mode }),
    paused: t.exposeBoolean('paused', { description: 'True while paused.' }),
    changedBy: t.exposeString('changedBy', {
      description: 'The admin who paused or resumed it; pausing a paused network keeps who paused it first.',
    }),
    changedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (r) => r.changedAt }),
    changed: t.exposeBoolean('changed', {
      description: 'False when it already was paused (or running): nothing changed or was audited.',
    }),
  }),
});

function actor(ctx: Context): string {
  const p = ctx.principal;
  if (p.kind !== 'admin') throw new ForbiddenError('Admins only');
  return `admin:${p.subject}`;
}

builder.mutationField('sweepNow', (t) =>
  t.field({
    type: SweepRequestRef,
    description: "Admin only: adds a sweep pass of the network's queue now, audited. Refused while paused.",
    authScopes: { admin: true },
    args: {
      network: t.arg.string({ required: true, description: 'A swept network (SWEEP_POLICY), e.g. ERC20.' }),
      mode: t.arg({ type: ModeEnum, required: true, description: 'Live or test.' }),
    },
    errors: { types: ERRORS, directResult: true, union: resultUnion('SweepNowResult', 'The pass queued') },
    resolve: (_root, a, ctx) => ctx.services.treasury.sweepNow(a.network, a.mode, actor(ctx)),
  }),
);

builder.mutationField('pauseSweeping', (t) =>
  t.field({
    type: SweepingControlRef,
    description:
      "Admin only: pauses (true) or resumes (false) a network's sweeping, persisted and audited. A paused pass only follows what is already on its way: it plans, tops up, signs and moves to cold nothing.",
    authScopes: { admin: true },
    args: {
      network: t.arg.string({ required: true, description: 'A swept network (SWEEP_POLICY), e.g. ERC20.' }),
      mode: t.arg({ type: ModeEnum, required: true, description: 'Live or test.' }),
      paused: t.arg.boolean({ required: true, description: 'True to pause, false to resume.' }),
      reason: t.arg.string({
        required: false,
        description: 'Why; kept in the audit (at most 500 characters).',
      }),
    },
    errors: {
      types: ERRORS,
      directResult: true,
      union: resultUnion('PauseSweepingResult', 'The network’s sweeping control'),
    },
    resolve: (_root, a, ctx) =>
      ctx.services.treasury.setPaused(a.network, a.mode, a.paused, a.reason, actor(ctx)),
  }),
);

builder.mutationField('sweepAddress', (t) =>
  t.field({
    type: SweepRequestRef,
    description:
      'Admin only: sweeps one deposit address now, whatever the threshold, audited. Refused for an address that is not a deposit address of the network (NotFoundError), one with nothing credited left to sweep or a sweep under way, or while paused (ConflictError).',
    authScopes: { admin: true },
    args: {
      network: t.arg.string({ required: true, description: 'A swept network (SWEEP_POLICY), e.g. ERC20.' }),
      mode: t.arg({ type: ModeEnum, required: true, description: 'Live or test.' }),
      address: t.arg.string({ required: true, description: 'The deposit address.' }),
    },
    errors: {
      types: ERRORS,
      directResult: true,
      union: resultUnion('SweepAddressResult', 'The sweep queued'),
    },
    resolve: (_root, a, ctx) => ctx.services.treasury.sweepAddress(a.network, a.mode, a.address, actor(ctx)),
  }),
);
