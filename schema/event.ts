import { adminOrTenant, type Context, tenantOf } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import type { EventType, StoredEvent } from '../src/modules/events/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, listScope, pageComplexity, pageTypes } from './pagination.js';

export const EventTypeEnum = builder.enumType('EventType', {
  description:
    'What happened. The first five are delivered to webhooks (WebhookEventType); the others feed subscriptions and this list only.',
  values: enumValues<EventType>({
    'deposit.confirmed': 'A deposit was confirmed on chain and credited (`deposit.confirmed`).',
    'deposit.failed': 'A deposit expired unpaid or failed (`deposit.failed`).',
    'payout.completed': 'A withdrawal was paid out on chain (`payout.completed`).',
    'payout.failed': 'A withdrawal failed or was rejected, and refunded (`payout.failed`).',
    'transfer.completed': 'A transfer between two users was posted (`transfer.completed`).',
    'balance.adjusted': 'An operator adjusted a balance (`balance.adjusted`; not sent to webhooks).',
    'deposit.updated':
      'A deposit changed: seen, confirmations, credited, expired (`deposit.updated`; not sent to webhooks).',
    'withdrawal.updated': 'A withdrawal moved a step (`withdrawal.updated`; not sent to webhooks).',
  }),
});

/** A merchant reads its own events (API keys only); null for another merchant's. Admins read any. */
async function loadEvent(ctx: Context, id: string): Promise<StoredEvent | null> {
  if (ctx.principal.kind === 'admin') return ctx.services.admin.reads.event(id);
  if (ctx.principal.kind !== 'merchant') throw new ForbiddenError('This credential may not read events');
  const { merchantId, mode } = tenantOf(ctx);
  return ctx.services.events.get(merchantId, mode, id);
}

export const EventRef = builder.node(builder.objectRef<StoredEvent>('Event'), {
  description: 'Something that happened, as delivered to webhooks (`data` is the webhook payload).',
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => loadEvent(ctx, id),
  fields: (t) => ({
    merchantId: t.exposeID('merchantId', { description: 'The merchant it happened to (`mer_…`).' }),
    mode: t.field({ type: ModeEnum, description: 'LIVE or TEST.', resolve: (e) => e.mode }),
    type: t.field({ type: EventTypeEnum, description: 'What happened.', resolve: (e) => e.type }),
    data: t.field({
      type: 'JSON',
      description:
        "The webhook payload's `data` as a JSON value (amounts are JSON numbers; a delivery prints them with the page's two decimals, docs/api.md).",
      resolve: (e) => e.data,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => e.createdAt }),
  }),
});

const EventFilter = builder.inputType('EventFilter', {
  description: 'Narrows the list of events; every field is optional.',
  fields: (t) => ({
    type: t.field({ type: EventTypeEnum, required: false, description: 'Only this type.' }),
    from: t.field({ type: 'DateTime', required: false, description: 'Inclusive lower bound on createdAt.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive upper bound on createdAt.' }),
    merchantId: t.id({ required: false, description: 'Admins only: one merchant (default: every one).' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'Admins only: one mode (default: both).' }),
  }),
});

builder.queryField('events', (t) =>
  t.connection(
    {
      type: EventRef,
      description:
        "Every event of this merchant and mode, newest first in commit order: catch up after downtime by paging `last`/`before` from the newest you have, which never misses an event (API keys); admins see every merchant's. An event is listed once every transaction older than it has finished (docs/graphql.md, Pagination).",
      authScopes: { merchant: true, admin: true },
      args: { filter: t.arg({ type: EventFilter, required: false, description: 'Type and time bounds.' }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        // Ordered by created_at until 2026-12: its cursors are refused by name (`formerly`).
        keysetConnection(
          ctx,
          args,
          { list: 'events@commit', formerly: 'events', scope: listScope(ctx) },
          (page) =>
            ctx.services.admin.reads.events({
              ...adminOrTenant(ctx, args.filter),
              type: args.filter?.type ?? null,
              from: args.filter?.from ?? null,
              to: args.filter?.to ?? null,
              ...page,
            }),
        ),
    },
    ...pageTypes('EventConnection', 'events'),
  ),
);
