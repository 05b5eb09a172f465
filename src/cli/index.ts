import { Command } from 'commander';
import { registerChainCommands } from './chain.js';
import { registerKeyCommands } from './keys.js';
import { registerMerchantCommands } from './merchants.js';
import { registerSeedCommand } from './seed.js';
import { registerUserCommands } from './users.js';
import { out, positiveInt, withContext } from './util.js';
import { registerWebhookCommands } from './webhooks.js';

// `npm run cli -- <command>`; every command has --help. With --json a command prints exactly one JSON
// object on stdout; diagnostics go to stderr.

export function buildCli(): Command {
  const program = new Command('novapay').description('NovaPayments operations CLI').showHelpAfterError();

  registerMerchantCommands(program);
  registerKeyCommands(program);
  registerUserCommands(program);
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
