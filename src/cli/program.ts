import { Command, InvalidArgumentError } from 'commander';
import { ADMIN_TOKEN_MAX_SECONDS } from '../config-env.js';
import { ValidationError } from '../lib/errors.js';
import { MAX_SESSION_TTL_SECONDS, type TokenClaims } from '../modules/merchants/index.js';
import { registerChainCommands } from './chain.js';
import type { CliContext } from './context.js';
import { registerKeyCommands } from './keys.js';
import { registerMerchantCommands } from './merchants.js';
import { registerSeedCommand } from './seed.js';
import { registerTreasuryCommands } from './treasury.js';
import { registerUserCommands } from './users.js';
import { out, positiveInt, printUsageError, setJsonOutput, withContext } from './util.js';
import { registerWebhookCommands } from './webhooks.js';

// The CLI's commands (src/cli/index.ts runs them: `npm run cli -- <command>`); every command has --help. With
// --json a command prints exactly one JSON object on stdout; diagnostics go to stderr.

export function buildCli(): Command {
  const program = new Command('novapay').description('NovaPayments operations CLI').showHelpAfterError();
  program.hook('preAction', (_program, action) => setJsonOutput(!!action.opts().json));
  // A usage error (a value an option refuses, a missing option, an unknown command) is commander's, before any
  // action and so before preAction: with --json among the arguments it is one JSON error object on stdout too.
  // Set before the commands are added, which inherit it. (rawArgs: commander's copy of the arguments parsed.)
  program.configureOutput({
    outputError: (text, write) => {
      write(text);
      if ((program as unknown as { rawArgs: string[] }).rawArgs.includes('--json')) printUsageError(text);
    },
  });

  registerMerchantCommands(program);
  registerKeyCommands(program);
  registerUserCommands(program);
  registerWebhookCommands(program);
  registerChainCommands(program);
  registerSeedCommand(program);
  registerTreasuryCommands(program);

  const admin = program.command('admin').description('admin credentials');
  admin
    .command('token')
    .description('issue an admin bearer token for the admin GraphQL fields')
    .option('--ttl <seconds>', `lifetime in seconds (at most ${ADMIN_TOKEN_MAX_SECONDS})`, (v: string) => {
      const ttl = positiveInt(v);
      if (ttl > ADMIN_TOKEN_MAX_SECONDS)
        throw new InvalidArgumentError(`must be at most ${ADMIN_TOKEN_MAX_SECONDS}`);
      return ttl;
    })
    .option('--subject <name>', 'who the token is for (kept in audit trails)', 'ops')
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const { token, expiresAt, tokenId } = await ctx.tokens.issueAdmin(
          o.ttl ?? ctx.config.adminTokenTtlSeconds,
          o.subject,
        );
        out(!!o.json, { token, expiresAt: expiresAt.toISOString(), tokenId }, token);
      }),
    );
  admin
    .command('revoke')
    .description(
      'revoke a bearer token (admin, portal session, user session, stream, deposit link) before it expires',
    )
    .argument('<tokenOrId>', 'the token itself, or its tokenId (jti) as `admin token --json` prints it')
    .option('--json', 'print one JSON object')
    .action((tokenOrId: string, o) =>
      withContext(async (ctx) => {
        const { tokenId, kind } = await revokeToken(ctx, tokenOrId);
        out(
          !!o.json,
          { tokenId, ...(kind ? { kind } : {}), revoked: true },
          `revoked ${kind ? `${TOKEN_KIND_NAMES[kind]} ` : ''}${tokenId}`,
        );
      }),
    );

  return program;
}

/** How `admin revoke` names a token's kind (every kind's tokenId starts `adm_`: the prefix is no kind). */
const TOKEN_KIND_NAMES: Record<TokenClaims['kind'], string> = {
  admin: 'admin token',
  user: 'user session',
  stream: 'stream token',
  deposit: 'deposit link token',
};

/**
 * A token is verified first (an expired one needs no revoking), and its kind told; a bare id is kept for the
 * longest any token lives, since its expiry (and kind) is unknown.
 */
async function revokeToken(
  ctx: CliContext,
  tokenOrId: string,
): Promise<{ tokenId: string; kind?: TokenClaims['kind'] }> {
  if (tokenOrId.split('.').length === 3) {
    const claims = await ctx.tokens.revoke(tokenOrId, 'admin revoke');
    return { tokenId: claims.jti, kind: claims.kind };
  }
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(tokenOrId))
    throw new ValidationError('not a token or a token id', 'token');
  const longestMs = Math.max(ADMIN_TOKEN_MAX_SECONDS, MAX_SESSION_TTL_SECONDS) * 1000;
  await ctx.tokens.revokeId(tokenOrId, new Date(Date.now() + longestMs), 'admin revoke');
  return { tokenId: tokenOrId };
}
