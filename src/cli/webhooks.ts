import type { Command } from 'commander';
import type { Mode } from '../lib/tenant.js';
import { WEBHOOK_EVENT_TYPES } from '../modules/events/index.js';
import { modeOption, out, withContext } from './util.js';

/**
 * `--event` takes an event type as REST and webhooks spell it (`transfer.completed`) or as GraphQL does
 * (`TRANSFER_COMPLETED`), in any case. An unknown one is passed on for the service to refuse with the list.
 */
export function eventType(value: string, previous: string[]): string[] {
  const key = value.trim().toLowerCase().replace('_', '.');
  const known = WEBHOOK_EVENT_TYPES.find((t) => t === key);
  return [...previous, known ?? value];
}

// `webhooks create|list|delete|redeliver`: the same operations as the GraphQL mutations, for ops.
export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('manage webhook endpoints and redeliver events');
  const tenant = (o: { merchant: string; mode: string }) => ({
    merchantId: o.merchant,
    mode: o.mode as Mode,
  });

  webhooks
    .command('create')
    .description('add an endpoint (the signing secret is shown once)')
    .requiredOption('--merchant <id>', 'merchant id')
    .addOption(modeOption().makeOptionMandatory())
    .requiredOption('--url <url>', 'http(s) URL that receives POSTs')
    .option(
      '--event <type>',
      'subscribe to this event only, as transfer.completed or TRANSFER_COMPLETED (repeatable; default: all)',
      eventType,
      [],
    )
    .option(
      '--sign-body-with-key <keyId>',
      "sign the body `signature` with this API key's secret (the legacy page's scheme) instead of the endpoint secret",
    )
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const { endpoint, secret } = await ctx.webhooks.create(tenant(o), {
          url: o.url,
          events: o.event,
          bodySignatureKeyId: o.signBodyWithKey,
        });
        out(
          !!o.json,
          {
            endpointId: endpoint.id,
            url: endpoint.url,
            events: endpoint.events,
            bodySignatureKeyId: endpoint.body_signing_key_id,
            secret,
          },
          `endpoint ${endpoint.id} → ${endpoint.url}\nsecret ${secret}  (shown once)`,
        );
      }),
    );

  webhooks
    .command('list')
    .description("list a merchant's endpoints in one mode")
    .requiredOption('--merchant <id>', 'merchant id')
    .addOption(modeOption().makeOptionMandatory())
    .option('--json', 'print JSON')
    .action((o) =>
      withContext(async (ctx) => {
        await ctx.merchants.getMerchant(o.merchant); // an unknown merchant is not_found, not an empty list
        const rows = (await ctx.webhooks.list(tenant(o))).map((e) => ({
          endpointId: e.id,
          url: e.url,
          events: e.events,
          enabled: e.status === 'enabled',
          disabledReason: e.disabled_reason,
          bodySignatureKeyId: e.body_signing_key_id,
        }));
        out(
          !!o.json,
          { endpoints: rows },
          rows
            .map(
              (e) =>
                `${e.endpointId}  ${e.enabled ? 'enabled ' : 'disabled'}  ${e.url}  ${e.events.join(',') || 'all events'}`,
            )
            .join('\n') || '(no endpoints)',
        );
      }),
    );

  webhooks
    .command('delete')
    .description('delete an endpoint (no further deliveries)')
    .requiredOption('--merchant <id>', 'merchant id')
    .addOption(modeOption().makeOptionMandatory())
    .argument('<endpointId>', 'endpoint id (whe_…)')
    .option('--json', 'print one JSON object')
    .action((endpointId, o) =>
      withContext(async (ctx) => {
        const e = await ctx.webhooks.delete(tenant(o), endpointId);
        out(!!o.json, { endpointId: e.id, deleted: true }, `deleted ${e.id}`);
      }),
    );

  webhooks
    .command('redeliver')
    .description('send an event again (same event id) to one endpoint or to every subscribed one')
    .requiredOption('--merchant <id>', 'merchant id')
    .addOption(modeOption().makeOptionMandatory())
    .argument('<eventId>', 'event id (evt_…)')
    .option('--endpoint <id>', 'only this endpoint')
    .option('--json', 'print one JSON object')
    .action((eventId, o) =>
      withContext(async (ctx) => {
        const rows = await ctx.webhooks.redeliver(tenant(o), eventId, o.endpoint ?? null);
        out(
          !!o.json,
          { eventId, endpoints: rows.map((d) => d.endpoint_id) },
          `queued ${eventId} for ${rows.map((d) => d.endpoint_id).join(', ')}`,
        );
      }),
    );
}
