import type { Command } from 'commander';
import { Option } from 'commander';
import type { Mode } from '../lib/tenant.js';
import { booleanArg, collect, modeOption, out, positiveInt, withContext } from './util.js';

const signatureVersionOption = () =>
  new Option(
    '--signature-version <version>',
    "2 makes the signature of timestamp, method, path and body mandatory for this key (1: the legacy page's)",
  )
    .choices(['1', '2'])
    .argParser(Number);

/** `keys create | list | settings | revoke | rotate`. */
export function registerKeyCommands(program: Command): void {
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
    .addOption(signatureVersionOption())
    .option(
      '--trusted-documents-only',
      'over GraphQL, run only trusted documents (known operations), for this key and the tokens it mints',
    )
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const key = await ctx.merchants.createKey(o.merchant, o.mode as Mode, {
          ipAllowlist: o.ip,
          rateLimitPerSecond: o.rateLimit,
          scopes: o.scope,
          requireTimestamp: !!o.requireTimestamp,
          signatureVersion: o.signatureVersion,
          trustedDocumentsOnly: !!o.trustedDocumentsOnly,
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
        await ctx.merchants.getMerchant(o.merchant); // an unknown merchant is not_found, not an empty list
        const list = await ctx.merchants.listKeys(o.merchant);
        const rows = list.map((k) => ({
          keyId: k.id,
          mode: k.mode,
          prefix: k.keyPrefix,
          ipAllowlist: k.ipAllowlist,
          rateLimitPerSecond: k.rateLimitPerSecond,
          scopes: k.scopes,
          requireTimestamp: k.requireTimestamp,
          signatureVersion: k.signatureVersion,
          trustedDocumentsOnly: k.trustedDocumentsOnly,
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
    .command('settings')
    .description("change a key's settings (running servers apply them within 5 s)")
    .argument('<keyId>', 'key id (key_…)')
    .addOption(signatureVersionOption())
    .option(
      '--trusted-documents-only <true|false>',
      'true: over GraphQL, run only trusted documents (known operations)',
      booleanArg,
    )
    .option('--json', 'print one JSON object')
    .action((keyId, o) =>
      withContext(async (ctx) => {
        if (o.signatureVersion === undefined && o.trustedDocumentsOnly === undefined) {
          throw new Error('give --signature-version or --trusted-documents-only');
        }
        const k = await ctx.merchants.updateKeySettings(keyId, {
          signatureVersion: o.signatureVersion,
          trustedDocumentsOnly: o.trustedDocumentsOnly,
        });
        out(
          !!o.json,
          { keyId: k.id, signatureVersion: k.signatureVersion, trustedDocumentsOnly: k.trustedDocumentsOnly },
          `${k.id}: signature version ${k.signatureVersion}, trusted documents only: ${k.trustedDocumentsOnly}`,
        );
      }),
    );
  keys
    .command('revoke')
    .description('revoke an API key at once, and the user sessions and stream tokens it minted')
    .argument('<keyId>', 'key id (key_…)')
    .option(
      '--keep-tokens',
      'a routine rotation: the browser tokens the key minted work until they expire (not for a leaked key)',
    )
    .option('--json', 'print one JSON object')
    .action((keyId, o) =>
      withContext(async (ctx) => {
        const keepTokens = !!o.keepTokens;
        const k = await ctx.merchants.revokeKey(keyId, { keepTokens });
        out(
          !!o.json,
          { keyId: k.id, revokedAt: k.revokedAt?.toISOString(), tokensRevoked: !keepTokens },
          `revoked ${k.id}${keepTokens ? ' (its browser tokens work until they expire)' : ' and its browser tokens'}`,
        );
      }),
    );
  keys
    .command('rotate')
    .description(
      'issue a replacement key with the same settings and revoke the old one (its browser tokens work until they expire)',
    )
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
}
