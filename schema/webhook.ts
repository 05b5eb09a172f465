import { tenantOf } from '../src/context.js';
import { NotFoundError, ValidationError } from '../src/lib/errors.js';
import { WEBHOOK_EVENT_TYPES } from '../src/modules/events/types.js';
import type { AttemptRow, DeliveryRow, EndpointRow } from '../src/modules/webhooks/service.js';
import { builder } from './builder.js';
import { offsetConnection, pageComplexity } from './pagination.js';

export const WebhookEventEnum = builder.enumType('WebhookEventType', {
  values: Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((e) => [e.replace('.', '_').toUpperCase(), { value: e }]),
  ),
});

const EndpointRef = builder.objectRef<EndpointRow>('WebhookEndpoint').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    events: t.field({
      type: [WebhookEventEnum],
      description: 'Subscribed events; empty means all.',
      resolve: (e) => e.events as never,
    }),
    enabled: t.boolean({ resolve: (e) => e.status === 'enabled' }),
    disabledReason: t.exposeString('disabled_reason', { nullable: true }),
    failingSince: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.failing_since }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.created_at }),
  }),
});

const EndpointWithSecretRef = builder
  .objectRef<{ endpoint: EndpointRow; secret: string }>('WebhookEndpointWithSecret')
  .implement({
    description: 'Returned once, when the secret is created or rotated: store the secret now.',
    fields: (t) => ({
      endpoint: t.field({ type: EndpointRef, resolve: (r) => r.endpoint }),
      secret: t.exposeString('secret'),
    }),
  });

const AttemptRef = builder.objectRef<AttemptRow>('WebhookAttempt').implement({
  fields: (t) => ({
    attempt: t.exposeInt('attempt'),
    statusCode: t.exposeInt('status_code', { nullable: true }),
    latencyMs: t.exposeInt('latency_ms'),
    responseSnippet: t.exposeString('response_snippet', {
      nullable: true,
      description: 'First 1 KB of the response.',
    }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.created_at }),
  }),
});

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: ['pending', 'succeeded', 'failed'] as const,
});

const DeliveryRef = builder.objectRef<DeliveryRow>('WebhookDelivery').implement({
  fields: (t) => ({
    eventId: t.exposeID('event_id'),
    endpointId: t.exposeID('endpoint_id'),
    event: t.exposeString('event_type'),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (d) => (d.status === 'pending' ? d.next_attempt_at : null),
    }),
    lastStatusCode: t.exposeInt('last_status_code', { nullable: true }),
    lastError: t.exposeString('last_error', { nullable: true }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.delivered_at }),
    attemptLog: t.field({
      type: [AttemptRef],
      complexity: 10,
      resolve: (d, _args, ctx) => ctx.services.webhooks.attempts(d.event_id, d.endpoint_id),
    }),
  }),
});

const DeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
  fields: (t) => ({
    endpointId: t.id({ required: false }),
    eventId: t.id({ required: false }),
    status: t.field({ type: DeliveryStatusEnum, required: false }),
  }),
});

const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'http(s); in live mode it must be a public address.' }),
    events: t.field({
      type: [WebhookEventEnum],
      required: false,
      description: 'Empty or omitted: every event.',
    }),
    description: t.string({ required: false }),
  }),
});

const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: false }),
    events: t.field({ type: [WebhookEventEnum], required: false }),
    description: t.string({ required: false }),
    enabled: t.boolean({ required: false, description: 'Re-enable a disabled endpoint, or pause one.' }),
  }),
});

const ERRORS = { types: [ValidationError, NotFoundError], directResult: true };

builder.queryField('webhookEndpoints', (t) =>
  t.field({
    type: [EndpointRef],
    authScopes: { merchant: true },
    resolve: (_root, _args, ctx) => ctx.services.webhooks.list(tenantOf(ctx)),
  }),
);

builder.queryField('webhookDeliveries', (t) =>
  t.connection(
    {
      type: DeliveryRef,
      description: 'Deliveries newest first, each with its attempt log.',
      authScopes: { merchant: true },
      args: { filter: t.arg({ type: DeliveryFilter, required: false }) },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        offsetConnection(args, (offset, limit) =>
          ctx.services.webhooks.deliveries(tenantOf(ctx), {
            endpointId: args.filter?.endpointId ? String(args.filter.endpointId) : null,
            eventId: args.filter?.eventId ? String(args.filter.eventId) : null,
            status: args.filter?.status ?? null,
            offset,
            limit,
          }),
        ),
    },
    {
      name: 'WebhookDeliveryConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (p) => (p as { totalCount: number }).totalCount }) }),
    },
  ),
);

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    type: EndpointWithSecretRef,
    authScopes: { merchant: true },
    args: { input: t.arg({ type: CreateInput, required: true }) },
    errors: { ...ERRORS, union: { name: 'CreateWebhookEndpointResult' } },
    resolve: (_root, { input }, ctx) => ctx.services.webhooks.create(tenantOf(ctx), input),
  }),
);

builder.mutationField('updateWebhookEndpoint', (t) =>
  t.field({
    type: EndpointRef,
    authScopes: { merchant: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    errors: { ...ERRORS, union: { name: 'UpdateWebhookEndpointResult' } },
    resolve: (_root, { id, input }, ctx) => ctx.services.webhooks.update(tenantOf(ctx), String(id), input),
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: EndpointWithSecretRef,
    description: 'A new secret now; the old one keeps signing (a second v1= in X-Signature) for 24 hours.',
    authScopes: { merchant: true },
    args: { id: t.arg.id({ required: true }) },
    errors: { ...ERRORS, union: { name: 'RotateWebhookSecretResult' } },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.rotateSecret(tenantOf(ctx), String(id)),
  }),
);

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.field({
    type: EndpointRef,
    authScopes: { merchant: true },
    args: { id: t.arg.id({ required: true }) },
    errors: { ...ERRORS, union: { name: 'DeleteWebhookEndpointResult' } },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.delete(tenantOf(ctx), String(id)),
  }),
);

builder.mutationField('redeliverEvent', (t) =>
  t.field({
    type: [DeliveryRef],
    description: 'Sends an event again, with the same event id, to one endpoint or to all subscribed ones.',
    authScopes: { merchant: true },
    args: { eventId: t.arg.id({ required: true }), endpointId: t.arg.id({ required: false }) },
    errors: { types: [ValidationError, NotFoundError], union: { name: 'RedeliverEventResult' } },
    resolve: (_root, args, ctx) =>
      ctx.services.webhooks.redeliver(
        tenantOf(ctx),
        String(args.eventId),
        args.endpointId ? String(args.endpointId) : null,
      ),
  }),
);
