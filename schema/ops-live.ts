import type { Context } from '../src/context.js';
import { ForbiddenError } from '../src/lib/errors.js';
import type { EventType, OpsEventMessage, StoredEvent } from '../src/modules/events/index.js';
import { liveStream, opsEventsKey } from '../src/modules/realtime/index.js';
import type { OpsStatus } from '../src/ops/status.js';
import { builder } from './builder.js';
import { EventRef, EventTypeEnum } from './event.js';
import { ModeEnum } from './merchant.js';
import { OpsRef } from './ops.js';

// The ops console's live feed (issue 19): every event across merchants, and queue/scanner health, over
// graphql-ws through the fan-out (src/modules/realtime/ops-live.ts). Admin tokens only: merchant keys, user
// sessions, stream and deposit tokens are refused (forbidden) before anything is subscribed.

function requireAdmin(ctx: Context): void {
  if (ctx.principal.kind !== 'admin') throw new ForbiddenError('Only admin tokens may watch the ops feed');
}

const Filter = builder.inputType('OpsEventFilter', {
  description: 'Which events to watch; every field is optional (default: every event).',
  fields: (t) => ({
    types: t.field({ type: [EventTypeEnum], required: false, description: 'Only these types.' }),
    merchantId: t.id({ required: false, description: 'Only this merchant.' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'Only this mode.' }),
  }),
});

function storedEvent(m: OpsEventMessage): StoredEvent {
  return {
    id: m.id,
    type: m.type as EventType,
    merchantId: m.merchantId,
    mode: m.mode,
    data: m.data,
    createdAt: new Date(m.createdAt),
    publishedAt: null,
  };
}

builder.subscriptionField('opsEvents', (t) =>
  t.field({
    type: EventRef,
    description:
      'Admin only: every event of every merchant as the relay publishes it (at least once: deduplicate on `id`), optionally filtered by type, merchant and mode. Catch up with `events` after a reconnect.',
    args: { filter: t.arg({ type: Filter, required: false, description: 'Types, merchant, mode.' }) },
    subscribe: (_root, args, ctx) => {
      requireAdmin(ctx);
      const key = opsEventsKey({
        types: args.filter?.types ?? null,
        merchantId: args.filter?.merchantId ?? null,
        mode: args.filter?.mode ?? null,
      });
      return liveStream(ctx.services.live, 'ops', key);
    },
    resolve: (m) => storedEvent(m),
  }),
);

builder.subscriptionField('opsHealth', (t) =>
  t.field({
    type: OpsRef,
    description:
      'Admin only: queues, chain scanners, the webhook backlog and the hot wallets, at once and then every 5 seconds (a slow reader gets the newest).',
    subscribe: (_root, _args, ctx) => {
      requireAdmin(ctx);
      return liveStream(ctx.services.live, 'opsHealth', 'all') as AsyncIterable<OpsStatus>;
    },
    resolve: (m) => m,
  }),
);
