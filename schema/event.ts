import { tenantOf } from '../src/context.js';
import { EVENT_TYPES, type StoredEvent } from '../src/modules/events/types.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';

const EventRef = builder.objectRef<StoredEvent>('Event').implement({
  description: 'Something that happened, as delivered to webhooks (`data` is the webhook payload).',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type'),
    data: t.field({ type: 'JSON', resolve: (e) => e.data }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  }),
});

const EventFilter = builder.inputType('EventFilter', {
  fields: (t) => ({
    type: t.string({ required: false, description: `One of ${EVENT_TYPES.join(', ')}.` }),
    from: t.field({ type: 'DateTime', required: false }),
    to: t.field({ type: 'DateTime', required: false }),
  }),
});

builder.queryField('events', (t) =>
  t.connection(
    {
      type: EventRef,
      description: 'Every event of this merchant and mode, newest first: catch up after downtime.',
      authScopes: { merchant: true },
      args: { filter: t.arg({ type: EventFilter, required: false }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        offsetConnection(args, (offset, limit) => {
          const { merchantId, mode } = tenantOf(ctx);
          return ctx.services.events.list(merchantId, mode, {
            type: args.filter?.type ?? null,
            from: args.filter?.from ?? null,
            to: args.filter?.to ?? null,
            offset,
            limit,
          });
        }),
    },
    {
      name: 'EventConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }) }),
    },
  ),
);
