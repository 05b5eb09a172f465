import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { closeBudgetMs, openQueues } from '../../jobs/queues.js';
import { bullEnqueue, type TreasuryControls } from '../modules/treasury/index.js';
import type { CliContext } from './context.js';
import { cliActor, modeOption, networkName, out, withContext } from './util.js';

// `treasury sweep-now | pause | resume | sweep-address`: the admin mutations of the same names (docs/treasury.md
// "Runbook"), audited as `cli:<user>`. They check, record and add a pass to the network's sweep queue; the
// signer runs it.

async function withControls(fn: (c: TreasuryControls, actor: string) => Promise<void>) {
  return withContext(async (ctx: CliContext) => {
    const connection = new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    connection.on('error', () => undefined);
    const queues = openQueues(connection, ctx.config.redisPrefix, ctx.log, closeBudgetMs(ctx.config));
    try {
      const controls = ctx.treasuryControls(bullEnqueue(queues));
      await fn(controls, cliActor());
    } finally {
      await queues.close();
      connection.disconnect();
    }
  });
}

export function registerTreasuryControlCommands(treasury: Command): void {
  const network = (c: Command) =>
    c
      .requiredOption(
        '--network <network>',
        'a swept network (SWEEP_POLICY), e.g. ERC20 (any case)',
        networkName,
      )
      .addOption(modeOption().makeOptionMandatory())
      .option('--json', 'print one JSON object');
  network(treasury.command('sweep-now').description("add a sweep pass of the network's queue now")).action(
    (o) =>
      withControls(async (c, actor) => {
        const r = await c.sweepNow(o.network, o.mode, actor);
        out(!!o.json, { ...r }, `queued sweep pass ${r.jobId} on ${r.network}:${r.mode}`);
      }),
  );
  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const)
    network(
      treasury
        .command(name)
        .description(`${name} the network's sweeping (persisted; a paused pass starts nothing new)`)
        .option('--reason <text>', 'why; kept in the audit'),
    ).action((o) =>
      withControls(async (c, actor) => {
        const r = await c.setPaused(o.network, o.mode, paused, o.reason, actor);
        const state = r.paused ? 'paused' : 'resumed';
        const text = r.changed
          ? `${r.network}:${r.mode} sweeping ${state}`
          : `${r.network}:${r.mode} sweeping was already ${state} (by ${r.changedBy} at ${r.changedAt.toISOString()}): unchanged`;
        out(!!o.json, { ...r }, text);
      }),
    );
  network(
    treasury
      .command('sweep-address')
      .description('sweep one deposit address now, whatever the threshold')
      .requiredOption('--address <address>', 'the deposit address'),
  ).action((o) =>
    withControls(async (c, actor) => {
      const r = await c.sweepAddress(o.network, o.mode, o.address, actor);
      out(!!o.json, { ...r }, `queued sweep ${r.jobId} of ${r.address} (${r.unsweptBaseUnits} units)`);
    }),
  );
}
