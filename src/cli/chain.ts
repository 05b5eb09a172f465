import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { setupChains } from '../chains/setup.js';
import { runningDevnets } from '../dev/devnet-state.js';
import { AppError } from '../lib/errors.js';
import type { Mode } from '../lib/tenant.js';
import { type ChainScanner, openScanner } from '../modules/deposits/index.js';
import { progress } from './progress.js';
import { modeOption, networkName, out, withContext } from './util.js';

// `chain rescan`: scan a block range again, for deposits a scanner missed (a node that returned too little,
// an address added late, a restore from backup). Uses the chain's node from this process's configuration,
// or, for the devnets a development server runs in-process, the ones that server recorded in its DATA_DIR
// for its database (src/dev/devnet-state.ts).

function blockNumber(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('must be a block number');
  return Number(value);
}

export function registerChainCommands(program: Command): void {
  const chain = program.command('chain').description('chain scanner operations');
  chain
    .command('rescan')
    .description(
      'scan a block range again through the deposit scanner (idempotent: nothing is credited twice); the cursor of the live scanner is not moved',
    )
    .addOption(
      new Option('--network <network>', 'network, e.g. TRC20').argParser(networkName).makeOptionMandatory(),
    )
    .addOption(modeOption().makeOptionMandatory())
    .requiredOption('--from <block>', 'first block', blockNumber)
    .option('--to <block>', 'last block (default: the chain head)', blockNumber)
    .option('--json', 'print one JSON object')
    .action((o) =>
      withContext(async (ctx) => {
        if (o.to !== undefined && o.to < o.from)
          throw new AppError('invalid_request', '--to is below --from');
        const network = o.network as string;
        // Configured nodes, or the devnets of the running server: a devnet started here would be a
        // different chain from the server's.
        const running = runningDevnets(ctx.config.dataDir, ctx.config.databaseUrl);
        const chains = await setupChains(
          {
            ...ctx.config,
            tron: { ...ctx.config.tron, devnet: running?.tron ? ctx.config.tron.devnet : 'off' },
            evm: { ...ctx.config.evm, devnet: running?.evm ? ctx.config.evm.devnet : 'off' },
          },
          ctx.log,
          { borrow: running ?? {} },
        );
        try {
          const net = chains.registry.get(network, o.mode as Mode);
          if (!net) {
            throw new AppError(
              'unsupported_network',
              `${network} has no node configured in ${o.mode} mode here (TRC20: TRON_NODE_URL / TRON_TEST_NODE_URL; EVM: <NETWORK>_RPC_URLS / EVM_TEST_RPC_URL), and no development server on this DATA_DIR and database runs a devnet for it (start one with npm start)`,
            );
          }
          const scanner = openScanner(net, {
            pool: ctx.pool,
            log: ctx.log,
            crediting: ctx.crediting,
          });
          const bar = progress(`rescan ${net.chain} blocks`, Math.max(0, (o.to ?? o.from) - o.from + 1));
          let r: Awaited<ReturnType<ChainScanner['rescan']>>;
          try {
            r = await scanner.rescan(o.from, o.to ?? null, (done, total) => bar.update(done, total));
          } finally {
            bar.stop();
          }
          out(
            !!o.json,
            { ...r },
            `rescanned ${r.chain} blocks ${r.from}–${r.to} (head ${r.head}): ${r.transfers} deposit transfer(s) seen, ${r.credited} credited now`,
          );
        } finally {
          await chains.close();
        }
      }),
    );
}
