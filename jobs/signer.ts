import type { Family } from '../src/chains/hd.js';
import { DepositKeys } from '../src/chains/keys.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/lib/logger.js';

// The signer: the one role that holds the seed of the deposit addresses' keys (SIGNER_ROLE says whether that is
// every `--role worker|all` process or only `--role signer` ones). It opens the keys once, checked against the
// xpubs the API derives addresses from, and is what the sweeps sign with.

export interface Signer {
  keys: DepositKeys;
  stop(): Promise<void>;
}

export async function startSigner(deps: {
  config: Config;
  log: Logger;
  xpubs: Partial<Record<Family, string>>;
}): Promise<Signer> {
  const { config, log } = deps;
  const keys = DepositKeys.open(config.treasury.seed, config, deps.xpubs);
  log.info({ families: keys.families() }, 'signer: deposit address keys opened');
  return {
    keys,
    async stop() {},
  };
}
