import { type Command, Option } from 'commander';
import type { Mode } from '../lib/tenant.js';
import { registerTreasuryControlCommands } from './treasury-controls.js';
import { modeOption, networkName, out, withContext } from './util.js';

/**
 * `treasury fund | books`: record coins ops put in by hand, and read the house books (docs/treasury.md); and
 * ops' sweeping controls (./treasury-controls.ts).
 */
export function registerTreasuryCommands(program: Command): void {
  const treasury = program
    .command('treasury')
    .description("the house books of the platform's coins on chain");
  treasury
    .command('fund')
    .description('record coins put in from outside (a hot wallet topped up with gas or tokens) as capital')
    .requiredOption('--network <network>', 'TRC20, ERC20, BEP20 or POLYGON (any case)', networkName)
    .addOption(modeOption().makeOptionMandatory())
    .addOption(
      new Option('--asset <asset>', "the network's token or the chain's coin")
        .choices(['token', 'native'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <place>', 'where the coins are')
        .choices(['hot', 'cold', 'deposits', 'staking'])
        .default('hot'),
    )
    .requiredOption('--amount <units>', 'base units (token units, wei, sun) as an integer')
    .requiredOption('--reference <txHash>', 'the funding transaction: recorded once')
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const recorded = await ctx.treasury.recordFunding(o);
        out(
          !!o.json,
          { recorded, network: o.network, mode: o.mode, asset: o.asset, to: o.to, amount: o.amount },
          recorded
            ? `recorded ${o.amount} ${o.asset} units into ${o.to} on ${o.network}:${o.mode}`
            : 'already recorded',
        );
      }),
    );
  treasury
    .command('books')
    .description('every house account balance (sum of its entries), in base units')
    .option('--network <network>', 'one network (any case)', networkName)
    .addOption(modeOption())
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        const rows = await ctx.treasury.books({
          ...(o.network ? { network: o.network as string } : {}),
          ...(o.mode ? { mode: o.mode as Mode } : {}),
        });
        const accounts = rows.map((r) => ({ ...r, balance: r.balance.toString() }));
        out(
          !!o.json,
          { accounts },
          accounts.map((a) => `${a.network}:${a.mode} ${a.asset} ${a.code} ${a.balance}`).join('\n') ||
            'no postings',
        );
      }),
    );
  registerTreasuryControlCommands(treasury);
}
