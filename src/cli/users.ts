import type { Command } from 'commander';
import { formatMinor } from '../lib/money.js';
import type { Mode } from '../lib/tenant.js';
import { cliActor, modeOption, out, withContext } from './util.js';

/** `users credit | debit`: audited ledger adjustments against the merchant's adjustments account. */
export function registerUserCommands(program: Command): void {
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
          const actor = cliActor();
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
}
