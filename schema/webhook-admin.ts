import { ForbiddenError, NotFoundError, ValidationError } from '../src/lib/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { ModeEnum } from './merchant.js';
import { keysetConnection, pageComplexity, pageTypes } from './pagination.js';
import { DeliveryRef, EndpointRef } from './webhook.js';

// The webhook side of the ops console (issue 19): every merchant's endpoints, and disabling or enabling one,
// audited with the admin's name. Merchants keep `webhookEndpoints` and `updateWebhookEndpoint`.

builder.objectField(EndpointRef, 'merchantId', (t) =>
  t.exposeID('merchant_id', { description: 'The merchant (`mer_…`).' }),
);
builder.objectField(EndpointRef, 'mode', (t) =>
  t.field({ type: ModeEnum, description: 'LIVE or TEST.', resolve: (e) => e.mode }),
);
builder.objectField(DeliveryRef, 'merchantId', (t) =>
  t.exposeID('merchant_id', { description: 'The merchant (`mer_…`).' }),
);
builder.objectField(DeliveryRef, 'mode', (t) =>
  t.field({ type: ModeEnum, description: 'LIVE or TEST.', resolve: (d) => d.mode }),
);

const EndpointFilter = builder.inputType('AdminWebhookEndpointFilter', {
  description: 'Narrows the list of webhook endpoints; every field is optional.',
  fields: (t) => ({
    merchantId: t.id({ required: false, description: 'One merchant (default: every one).' }),
    mode: t.field({ type: ModeEnum, required: false, description: 'One mode (default: both).' }),
    enabled: t.boolean({ required: false, description: 'Only enabled (true) or disabled (false) ones.' }),
    failing: t.boolean({
      required: false,
      description: 'Only the ones whose deliveries keep failing (true).',
    }),
  }),
});

builder.queryField('adminWebhookEndpoints', (t) =>
  t.connection(
    {
      type: EndpointRef,
      description: "Admin only: every merchant's webhook endpoints, newest first.",
      authScopes: { admin: true },
      args: {
        filter: t.arg({ type: EndpointFilter, required: false, description: 'Merchant, mode, state.' }),
      },
      complexity: (args) => pageComplexity(args),
      resolve: (_root, args, ctx) =>
        keysetConnection(ctx, args, { list: 'adminWebhookEndpoints', scope: ['admin'] }, (page) => {
          const f = args.filter;
          const enabled = f?.enabled;
          return ctx.services.admin.reads.endpoints({
            merchantId: f?.merchantId ?? null,
            mode: f?.mode ?? null,
            status: enabled === true ? 'enabled' : enabled === false ? 'disabled' : null,
            failing: f?.failing ?? null,
            ...page,
          });
        }),
    },
    ...pageTypes('AdminWebhookEndpointConnection', 'webhook endpoints'),
  ),
);

builder.mutationField('setWebhookEndpointEnabled', (t) =>
  t.field({
    type: EndpointRef,
    description:
      "Admin only: disables (a reason is required) or enables any merchant's endpoint, audited. A disabled endpoint's pending deliveries fail unsent; enabling clears its failing mark.",
    authScopes: { admin: true },
    args: {
      id: t.arg.id({ required: true, description: 'The endpoint (`whe_…`).' }),
      enabled: t.arg.boolean({ required: true, description: 'True to enable, false to disable.' }),
      reason: t.arg.string({ required: false, description: 'Why; required to disable, kept in the audit.' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ForbiddenError],
      directResult: true,
      union: resultUnion('SetWebhookEndpointEnabledResult', 'The endpoint'),
    },
    resolve: (_root, args, ctx) => {
      const p = ctx.principal;
      if (p.kind !== 'admin') throw new ForbiddenError('Admins only');
      return ctx.services.admin.webhooks.setEnabled(args.id, args.enabled, args.reason, `admin:${p.subject}`);
    },
  }),
);
