import type { Command } from 'commander';
import type { Mode } from '../lib/tenant.js';
import type { MerchantSettingsOverrides } from '../modules/merchants/index.js';
import { booleanArg, collect, modeOption, out, positiveInt, withContext } from './util.js';

/** `merchants create | list | settings`. */
export function registerMerchantCommands(program: Command): void {
  const merchants = program.command('merchants').description('create and list merchants');
  merchants
    .command('create')
    .description('create a merchant and its first API key (the secret is shown once)')
    .requiredOption('--name <name>', 'merchant name')
    .addOption(modeOption().default('test'))
    .option('--ip <cidr>', 'allow only this IPv4/IPv6 address or CIDR (repeatable)', collect, [])
    .option('--rate-limit <perSecond>', 'requests per second for the key', positiveInt)
    .option('--require-timestamp', 'require X-Timestamp on every signed request')
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const { merchant: m, key } = await ctx.merchants.createMerchantWithKey(o.name, o.mode as Mode, {
          ipAllowlist: o.ip,
          rateLimitPerSecond: o.rateLimit,
          requireTimestamp: !!o.requireTimestamp,
        });
        out(
          !!o.json,
          { merchantId: m.id, mode: key.mode, apiKey: key.apiKey, apiSecret: key.apiSecret },
          `merchant ${m.id} (${m.name})\nkey       ${key.keyId}\napiKey    ${key.apiKey}\napiSecret ${key.apiSecret}  (shown once)`,
        );
      }),
    );
  merchants
    .command('list')
    .description('list merchants')
    .option('--json', 'print JSON')
    .action((o) =>
      withContext(async (ctx) => {
        const list = await ctx.merchants.listMerchants();
        out(
          !!o.json,
          { merchants: list.map((m) => ({ id: m.id, name: m.name, createdAt: m.createdAt.toISOString() })) },
          list.map((m) => `${m.id}  ${m.name}`).join('\n') || '(no merchants)',
        );
      }),
    );

  merchants
    .command('settings')
    .description("show a merchant's settings, or change them (running servers apply a change within 5 s)")
    .requiredOption('--merchant <id>', 'merchant id')
    .option(
      '--require-timestamp <true|false>',
      'require X-Timestamp on every signed request with any of its keys',
      booleanArg,
    )
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const overrides: MerchantSettingsOverrides = {};
        if (o.requireTimestamp !== undefined) overrides.requireTimestamp = o.requireTimestamp;
        const settings =
          Object.keys(overrides).length > 0
            ? await ctx.merchants.updateSettings(o.merchant, overrides)
            : await ctx.merchants.settings(o.merchant);
        out(
          !!o.json,
          { merchantId: o.merchant, settings },
          Object.entries(settings)
            .map(([k, v]) => `${k.padEnd(24)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
            .join('\n'),
        );
      }),
    );
}
