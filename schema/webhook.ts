import { adminOrTenant, type Context, tenantOf } from '../src/context.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../src/lib/errors.js';
import type { WebhookEventType } from '../src/modules/events/index.js';
import type { AttemptRow, BodySignature, DeliveryRow, EndpointRow } from '../src/modules/webhooks/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';
import { resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, listScope, pageComplexity, pageTypes } from './pagination.js';

const WEBHOOK_EVENTS: Record<WebhookEventType, string> = {
  'deposit.confirmed': 'A deposit was confirmed on chain and credited (`deposit.confirmed`).',
  'deposit.failed': 'A deposit expired unpaid or failed (`deposit.failed`).',
  'payout.completed': 'A withdrawal was paid out on chain (`payout.completed`).',
  'payout.failed': 'A withdrawal failed or was rejected, and refunded (`payout.failed`).',
  'transfer.completed': 'A transfer between two users was posted (`transfer.completed`).',
};

const BODY_SIGNATURES: Record<BodySignature, string> = {
  endpoint_secret: "The endpoint's own `whsec_…` secret signs the body `signature` (the default).",
  api_key:
    "An API key's secret signs the body `signature`, as the legacy page describes (`bodySignatureKeyId`). The `X-Signature` header is still signed with the endpoint secret.",
};

const BodySignatureEnum = builder.enumType('WebhookBodySignature', {
  description: 'Which secret signs the `signature` field inside a delivery body (docs/api.md "Webhooks").',
  values: enumValues<BodySignature>(BODY_SIGNATURES),
});

export const WebhookEventEnum = builder.enumType('WebhookEventType', {
  description:
    'An event that is delivered to webhook endpoints; the wire name (`event`) is in each description.',
  values: enumValues<WebhookEventType>(WEBHOOK_EVENTS),
});

/** A merchant reads its own endpoints (API keys only); null for another merchant's or a deleted one. Admins read any. */
async function loadEndpoint(ctx: Context, id: string): Promise<EndpointRow | null> {
  if (ctx.principal.kind === 'admin') return ctx.services.admin.reads.endpoint(id);
  if (ctx.principal.kind !== 'merchant') throw new ForbiddenError('This credential may not read webhooks');
  try {
    return await ctx.services.webhooks.get(tenantOf(ctx), id);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

export const EndpointRef = builder.node(builder.objectRef<EndpointRow>('WebhookEndpoint'), {
  description: 'A URL that receives signed POSTs of the events it is subscribed to.',
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => loadEndpoint(ctx, id),
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Where deliveries are POSTed.' }),
    description: t.exposeString('description', { nullable: true, description: 'Your note about it.' }),
    events: t.field({
      type: [WebhookEventEnum],
      description: 'Subscribed events; empty means all.',
      resolve: (e) => e.events as WebhookEventType[],
    }),
    enabled: t.boolean({
      description: 'False when paused, or disabled after failing for too long (see disabledReason).',
      resolve: (e) => e.status === 'enabled',
    }),
    disabledReason: t.exposeString('disabled_reason', {
      nullable: true,
      description: 'Why it was disabled; null while enabled.',
    }),
    failingSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Since when every delivery has failed; null while deliveries succeed.',
      resolve: (e) => e.failing_since,
    }),
    bodySignature: t.field({
      type: BodySignatureEnum,
      description: 'Which secret signs the body `signature`.',
      resolve: (e) => (e.body_signing_key_id ? 'api_key' : 'endpoint_secret'),
    }),
    bodySignatureKeyId: t.exposeID('body_signing_key_id', {
      nullable: true,
      description:
        'The API key (`key_…`) whose secret signs the body `signature`; null: the endpoint secret.',
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When it was created.',
      resolve: (e) => e.created_at,
    }),
  }),
});

const EndpointWithSecretRef = builder
  .objectRef<{ endpoint: EndpointRow; secret: string }>('WebhookEndpointWithSecret')
  .implement({
    description: 'Returned once, when the secret is created or rotated: store the secret now.',
    fields: (t) => ({
      endpoint: t.field({ type: EndpointRef, description: 'The endpoint.', resolve: (r) => r.endpoint }),
      secret: t.exposeString('secret', {
        description: 'The `whsec_…` signing secret; it is never shown again.',
      }),
    }),
  });

const AttemptRef = builder.objectRef<AttemptRow>('WebhookAttempt').implement({
  description: 'One HTTP attempt of a delivery.',
  fields: (t) => ({
    attempt: t.exposeInt('attempt', { description: '1 for the first attempt, then 2, 3…' }),
    statusCode: t.exposeInt('status_code', {
      nullable: true,
      description: "The receiver's HTTP status; null when no answer came (timeout, refused connection).",
    }),
    latencyMs: t.exposeInt('latency_ms', { description: 'How long the attempt took, in milliseconds.' }),
    responseSnippet: t.exposeString('response_snippet', {
      nullable: true,
      description: 'First 1 KB of the response.',
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed, when it did.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was made.', resolve: (a) => a.created_at }),
  }),
});

export const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a delivery stands.',
  values: enumValues<DeliveryRow['status']>({
    pending: 'Not delivered yet; retried on the schedule (see nextAttemptAt).',
    succeeded: 'The endpoint answered 2xx.',
    failed: 'Every retry failed; `redeliverEvent` sends it again.',
  }),
});

export const DeliveryRef = builder.objectRef<DeliveryRow>('WebhookDelivery').implement({
  description: 'One event on its way to one endpoint, with every attempt.',
  fields: (t) => ({
    eventId: t.exposeID('event_id', { description: 'The event (`evt_…`), also the `X-Webhook-Id` header.' }),
    endpointId: t.exposeID('endpoint_id', { description: 'The endpoint (`whe_…`).' }),
    event: t.field({
      type: WebhookEventEnum,
      description: 'The event type.',
      resolve: (d) => d.event_type as WebhookEventType,
    }),
    status: t.field({ type: DeliveryStatusEnum, description: 'Where it stands.', resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far.' }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next attempt is due; null unless PENDING.',
      resolve: (d) => (d.status === 'pending' ? d.next_attempt_at : null),
    }),
    lastStatusCode: t.exposeInt('last_status_code', {
      nullable: true,
      description: "The last attempt's HTTP status, if an answer came.",
    }),
    lastError: t.exposeString('last_error', {
      nullable: true,
      description: "The last attempt's error, if any.",
    }),
    deliveredAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a 2xx came back; null until then.',
      resolve: (d) => d.delivered_at,
    }),
    attemptLog: t.field({
      type: [AttemptRef],
      complexity: 10,
      description: 'Every attempt, oldest first.',
      resolve: (d, _args, ctx) => ctx.services.webhooks.attempts(d.event_id, d.endpoint_id),
    }),
  }),
});

const DeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
  description: 'Narrows the list of deliveries; every field is optional.',
  fields: (t) => ({
    endpointId: t.id({ required: false, description: 'Only this endpoint.' }),
    eventId: t.id({ required: false, description: 'Only this event.' }),
    status: t.field({ type: DeliveryStatusEnum, required: false, description: 'Only this status.' }),
    merchantId: t.id({ required: false, description: 'Admins only: one merchant (default: every one).' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'Admins only: one mode (default: both).' }),
  }),
});

const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
  description: 'A new webhook endpoint.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'http(s); in live mode it must be a public address.' }),
    events: t.field({
      type: [WebhookEventEnum],
      required: false,
      description: 'Empty or omitted: every event.',
    }),
    description: t.string({ required: false, description: 'Your note about it.' }),
    bodySignature: t.field({
      type: BodySignatureEnum,
      required: false,
      description: 'Which secret signs the body `signature`; omitted: ENDPOINT_SECRET.',
    }),
    bodySignatureKeyId: t.id({
      required: false,
      description:
        'With API_KEY: the key (`key_…`, same merchant and mode) whose secret signs; omitted: the calling key.',
    }),
  }),
});

const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Changes to an endpoint; omitted fields stay as they are.',
  fields: (t) => ({
    url: t.string({ required: false, description: 'A new URL (same rules as when created).' }),
    events: t.field({
      type: [WebhookEventEnum],
      required: false,
      description: 'A new event list; empty means all.',
    }),
    description: t.string({ required: false, description: 'A new note.' }),
    enabled: t.boolean({ required: false, description: 'Re-enable a disabled endpoint, or pause one.' }),
    bodySignature: t.field({
      type: BodySignatureEnum,
      required: false,
      description: 'Switch which secret signs the body `signature`; omitted: unchanged.',
    }),
    bodySignatureKeyId: t.id({
      required: false,
      description:
        'With API_KEY: the key (`key_…`, same merchant and mode) whose secret signs; omitted: the calling key.',
    }),
  }),
});

/** The API key making the request (the default key for `bodySignature: API_KEY`). */
const callerKey = (ctx: Context) => (ctx.principal.kind === 'merchant' ? ctx.principal.keyId : null);

const ERRORS = { types: [ValidationError, NotFoundError], directResult: true };
const endpointIdArg = { required: true, description: 'The endpoint (`whe_…`).' } as const;

builder.queryField('webhookEndpoints', (t) =>
  t.field({
    type: [EndpointRef],
    description: "The merchant's webhook endpoints in this mode (API keys only).",
    authScopes: { merchant: true },
    resolve: (_root, _args, ctx) => ctx.services.webhooks.list(tenantOf(ctx)),
  }),
);

builder.queryField('webhookDeliveries', (t) =>
  t.connection(
    {
      type: DeliveryRef,
      description:
        "Deliveries newest first, each with its attempt log (API keys); admins see every merchant's.",
      authScopes: { merchant: true, admin: true },
      args: {
        filter: t.arg({ type: DeliveryFilter, required: false, description: 'Endpoint, event, status.' }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'webhookDeliveries', scope: listScope(ctx) }, (page) =>
          ctx.services.admin.reads.deliveries({
            ...adminOrTenant(ctx, args.filter),
            endpointId: args.filter?.endpointId ?? null,
            eventId: args.filter?.eventId ?? null,
            status: args.filter?.status ?? null,
            ...page,
          }),
        ),
    },
    ...pageTypes('WebhookDeliveryConnection', 'webhook deliveries'),
  ),
);

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    type: EndpointWithSecretRef,
    description: 'Adds an endpoint and answers its signing secret, once (API keys only).',
    authScopes: { merchant: true },
    args: { input: t.arg({ type: CreateInput, required: true, description: 'URL, events, note.' }) },
    errors: { ...ERRORS, union: resultUnion('CreateWebhookEndpointResult', 'The endpoint and its secret') },
    resolve: (_root, { input }, ctx) => ctx.services.webhooks.create(tenantOf(ctx), input, callerKey(ctx)),
  }),
);

builder.mutationField('updateWebhookEndpoint', (t) =>
  t.field({
    type: EndpointRef,
    description: 'Changes an endpoint: URL, events, note, or enabled (API keys only).',
    authScopes: { merchant: true },
    args: {
      id: t.arg.id(endpointIdArg),
      input: t.arg({ type: UpdateInput, required: true, description: 'The changes.' }),
    },
    errors: { ...ERRORS, union: resultUnion('UpdateWebhookEndpointResult', 'The endpoint') },
    resolve: (_root, { id, input }, ctx) =>
      ctx.services.webhooks.update(tenantOf(ctx), id, input, callerKey(ctx)),
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: EndpointWithSecretRef,
    description: 'A new secret now; the old one keeps signing (a second v1= in X-Signature) for 24 hours.',
    authScopes: { merchant: true },
    args: { id: t.arg.id(endpointIdArg) },
    errors: { ...ERRORS, union: resultUnion('RotateWebhookSecretResult', 'The endpoint and its new secret') },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.rotateSecret(tenantOf(ctx), id),
  }),
);

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.field({
    type: EndpointRef,
    description: 'Deletes an endpoint; nothing more is delivered to it (API keys only).',
    authScopes: { merchant: true },
    args: { id: t.arg.id(endpointIdArg) },
    errors: { ...ERRORS, union: resultUnion('DeleteWebhookEndpointResult', 'The deleted endpoint') },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.delete(tenantOf(ctx), id),
  }),
);

builder.mutationField('redeliverEvent', (t) =>
  t.field({
    type: [DeliveryRef],
    description:
      "Sends an event again, with the same event id, to one endpoint or to all subscribed ones. Admins may redeliver any merchant's event (audited).",
    authScopes: { merchant: true, admin: true },
    args: {
      eventId: t.arg.id({ required: true, description: 'The event (`evt_…`).' }),
      endpointId: t.arg.id({
        required: false,
        description: 'Only this endpoint; omitted: every subscribed one.',
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      union: resultUnion('RedeliverEventResult', 'The new deliveries'),
      result: { description: 'The deliveries that were queued.' },
      dataField: { description: 'One delivery per endpoint, queued now.' },
    },
    resolve: (_root, args, ctx) => {
      const p = ctx.principal;
      if (p.kind === 'admin') {
        return ctx.services.admin.webhooks.redeliver(
          args.eventId,
          args.endpointId ?? null,
          `admin:${p.subject}`,
        );
      }
      return ctx.services.webhooks.redeliver(tenantOf(ctx), args.eventId, args.endpointId ?? null);
    },
  }),
);
