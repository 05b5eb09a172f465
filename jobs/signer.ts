import { Redis } from 'ioredis';
import type { Family } from '../src/chains/hd.js';
import { DepositKeys } from '../src/chains/keys.js';
import type { HotWallet } from '../src/chains/payout/types.js';
import { openHotWallets } from '../src/chains/payout/wallets.js';
import type { NetworkRegistry } from '../src/chains/registry.js';
import type { Config } from '../src/config.js';
import type { Pool } from '../src/db/database.js';
import type { Logger } from '../src/lib/logger.js';
import { redisConnectionName } from '../src/lib/redis-name.js';
import type { LedgerService } from '../src/modules/ledger/index.js';
import { openSweepers, type Sweepers } from '../src/modules/treasury/index.js';
import { JobSchedules } from './schedules.js';
import { type SweepJobs, startSweepJobs } from './sweeps.js';

// The signer: the one role that holds the seed of the deposit addresses' keys (SIGNER_ROLE says whether that is
// every `--role worker|all` process or only `--role signer` ones). It opens the keys once, checked against the
// xpubs the API derives addresses from, and runs the sweeps that sign with them.

/** How often the signer checks that Redis still has its sweep schedules. */
const WATCH_MS = 5_000;

export interface Signer {
  keys: DepositKeys;
  sweepers: Sweepers;
  jobs: SweepJobs | null;
  stop(): Promise<void>;
}

export async function startSigner(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  registry: NetworkRegistry;
  ledger: LedgerService;
  xpubs: Partial<Record<Family, string>>;
  /** The hot wallets the workers of this process opened already; a signer process opens its own. */
  wallets?: HotWallet[];
  /** false: no queues or schedulers, only passes run by hand (tests). */
  schedule?: boolean;
}): Promise<Signer> {
  const { config, log } = deps;
  const keys = DepositKeys.open(config.treasury.seed, config, deps.xpubs);
  log.info({ families: keys.families() }, 'signer: deposit address keys opened');
  const owned = deps.wallets ? null : await openHotWallets(config, deps.registry, log);
  const wallets = deps.wallets ?? owned!;
  const sweepers = await openSweepers({ ...deps, keys, wallets });
  let jobs: SweepJobs | null = null;
  let connection: Redis | null = null;
  let unwatch: () => void = () => undefined;
  if (deps.schedule !== false && sweepers.byChain.size > 0) {
    connection = new Redis(config.redisUrl, {
      connectionName: redisConnectionName(config.redisPrefix),
      maxRetriesPerRequest: null,
    });
    connection.on('error', (err) => log.warn({ err: err.message }, 'signer redis error'));
    const schedules = new JobSchedules(log);
    jobs = await startSweepJobs({ config, log, sweepers, connection, schedules });
    unwatch = schedules.watch(connection, WATCH_MS, async () => undefined);
  }
  return {
    keys,
    sweepers,
    jobs,
    async stop() {
      unwatch();
      await jobs?.stop();
      await sweepers.close();
      for (const w of owned ?? []) w.close();
      connection?.disconnect();
    },
  };
}
