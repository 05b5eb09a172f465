import { Command } from 'commander';
import { formatMinor } from '../lib/money.js';
import type { Mode } from '../modules/merchants/entities.js';
import type { MerchantSettingsOverrides } from '../modules/merchants/settings.js';
import { registerChainCommands } from './chain.js';
import { registerSeedCommand } from './seed.js';
import { booleanArg, collect, modeOption, out, positiveInt, withContext } from './util.js';
import { registerWebhookCommands } from './webhooks.js';

// `npm run cli -- <command>`; every command has --help. With --json a command prints exactly one JSON
// object on stdout; diagnostics go to stderr.

export function buildCli(): Command {
  const program = new Command('novapay').description('NovaPayments operations CLI').showHelpAfterError();

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
        const m = await ctx.merchants.createMerchant(o.name);
        const key = await ctx.merchants.createKey(m.id, o.mode as Mode, {
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

  const keys = program.command('keys').description('create, revoke and rotate API keys');
  keys
    .command('create')
    .description('create an API key for a merchant (the secret is shown once)')
    .requiredOption('--merchant <id>', 'merchant id')
    .addOption(modeOption().makeOptionMandatory())
    .option('--ip <cidr>', 'allow only this IPv4/IPv6 address or CIDR (repeatable)', collect, [])
    .option('--rate-limit <perSecond>', 'requests per second', positiveInt)
    .option('--scope <scope>', 'extra permission, e.g. withdrawals:approve (repeatable)', collect, [])
    .option('--require-timestamp', 'require X-Timestamp on every signed request')
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const key = await ctx.merchants.createKey(o.merchant, o.mode as Mode, {
          ipAllowlist: o.ip,
          rateLimitPerSecond: o.rateLimit,
          scopes: o.scope,
          requireTimestamp: !!o.requireTimestamp,
        });
        out(
          !!o.json,
          {
            keyId: key.keyId,
            merchantId: key.merchantId,
            mode: key.mode,
            apiKey: key.apiKey,
            apiSecret: key.apiSecret,
          },
          `key ${key.keyId}\napiKey    ${key.apiKey}\napiSecret ${key.apiSecret}  (shown once)`,
        );
      }),
    );
  keys
    .command('list')
    .description("list a merchant's keys (never their secrets)")
    .requiredOption('--merchant <id>', 'merchant id')
    .option('--json', 'print JSON')
    .action((o) =>
      withContext(async (ctx) => {
        const list = await ctx.merchants.listKeys(o.merchant);
        const rows = list.map((k) => ({
          keyId: k.id,
          mode: k.mode,
          prefix: k.keyPrefix,
          ipAllowlist: k.ipAllowlist,
          rateLimitPerSecond: k.rateLimitPerSecond,
          scopes: k.scopes,
          requireTimestamp: k.requireTimestamp,
          revokedAt: k.revokedAt?.toISOString() ?? null,
        }));
        out(
          !!o.json,
          { keys: rows },
          rows
            .map(
              (k) =>
                `${k.keyId}  ${k.mode}  ${k.prefix}…  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`,
            )
            .join('\n'),
        );
      }),
    );
  keys
    .command('revoke')
    .description('revoke an API key at once')
    .argument('<keyId>', 'key id (key_…)')
    .option('--json', 'print one JSON object')
    .action((keyId, o) =>
      withContext(async (ctx) => {
        const k = await ctx.merchants.revokeKey(keyId);
        out(!!o.json, { keyId: k.id, revokedAt: k.revokedAt?.toISOString() }, `revoked ${k.id}`);
      }),
    );
  keys
    .command('rotate')
    .description('issue a replacement key with the same settings and revoke the old one')
    .argument('<keyId>', 'key id (key_…)')
    .option('--json', 'print one JSON object')
    .action((keyId, o) =>
      withContext(async (ctx) => {
        const key = await ctx.merchants.rotateKey(keyId);
        out(
          !!o.json,
          {
            keyId: key.keyId,
            merchantId: key.merchantId,
            mode: key.mode,
            apiKey: key.apiKey,
            apiSecret: key.apiSecret,
            revokedKeyId: keyId,
          },
          `revoked ${keyId}\nkey ${key.keyId}\napiKey    ${key.apiKey}\napiSecret ${key.apiSecret}  (shown once)`,
        );
      }),
    );

  const users = program.command('users').description("adjust users' balances");
  for (const direction of ['credit', 'debit'] as const) {
    users
      .command(direction)
      .description(
        direction === 'credit'
          ? "credit a user with an audited ledger adjustment: the Stars come from the merchant's adjustments account"
          : "debit a user with an audited ledger adjustment: the Stars go to the merchant's adjustments account",
      )
      .requiredOption('--merchant <id>', 'merchant id')
      .addOption(modeOption().makeOptionMandatory())
      .requiredOption('--user <userId>', "the merchant's user id")
      .requiredOption('--amount <stars>', 'Stars, up to 2 decimals')
      .requiredOption('--reason <text>', 'why (kept with the transaction)')
      .option('--idempotency-key <key>', 'make a retried command safe')
      .option('--json', 'print one JSON object')
      .action((o) =>
        withContext(async (ctx) => {
          await ctx.merchants.getMerchant(o.merchant);
          const actor = `cli:${process.env.USER ?? 'unknown'}`;
          const r = await ctx.ledger.adjust(
            { merchantId: o.merchant, mode: o.mode as Mode },
            { userId: o.user, amount: o.amount, direction, reason: o.reason, actor },
            o.idempotencyKey ?? null,
          );
          out(
            !!o.json,
            {
              id: r.id,
              userId: r.userId,
              amount: formatMinor(r.amountMinor),
              direction,
              balance: formatMinor(r.balanceMinor),
              createdAt: r.createdAt.toISOString(),
            },
            `${r.id}: ${direction === 'credit' ? 'credited' : 'debited'} ${formatMinor(r.amountMinor)} Stars ${direction === 'credit' ? 'to' : 'from'} ${r.userId}; balance ${formatMinor(r.balanceMinor)}`,
          );
        }),
      );
  }

  registerWebhookCommands(program);
  registerChainCommands(program);
  registerSeedCommand(program);

  const admin = program.command('admin').description('admin credentials');
  admin
    .command('token')
    .description('issue an admin bearer token for the admin GraphQL fields')
    .option('--ttl <seconds>', 'lifetime in seconds', positiveInt)
    .option('--subject <name>', 'who the token is for (kept in audit trails)', 'ops')
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const { token, expiresAt } = await ctx.tokens.issueAdmin(
          o.ttl ?? ctx.config.adminTokenTtlSeconds,
          o.subject,
        );
        out(!!o.json, { token, expiresAt: expiresAt.toISOString() }, token);
      }),
    );

  return program;
}

await buildCli().parseAsync(process.argv);
