import type { Config } from '../config.js';
import { type DevnetsInfo, recordDevnets } from '../dev/devnet-state.js';
import type { Logger } from '../lib/logger.js';
import { families } from './families.js';
import type { Family, FamilyNetworks } from './family.js';
import { accountXpub, devMnemonic, HdAddresses } from './hd.js';
import { type NetworkConfig, NetworkRegistry } from './registry.js';

export interface SetupOptions {
  /**
   * Devnets another process runs (a CLI run next to `npm start`, see src/dev/devnet-state.ts): used where
   * this process would start its own, and not stopped by close().
   */
  borrow?: DevnetsInfo;
}

/**
 * Every family's networks from configuration (src/chains/<family>/networks.ts), with the devnets started for
 * them outside production, and the xpubs deposit addresses come from.
 */
export async function setupChains(config: Config, log: Logger, opts: SetupOptions = {}) {
  const networks: NetworkConfig[] = [];
  const set: Partial<Record<Family, FamilyNetworks>> = {};
  for (const f of Object.values(families())) {
    const s = await f.setupNetworks(config, log, opts.borrow);
    set[f.name] = s;
    networks.push(...s.networks);
  }
  // A CLI run on this DATA_DIR reaches the devnets this process started (src/dev/devnet-state.ts); the
  // record is their JSON (close() is a function, which JSON leaves out).
  const started = Object.fromEntries(
    Object.entries(set).flatMap(([name, s]) => (s.devnet && !s.borrowed ? [[name, s.devnet]] : [])),
  ) as unknown as DevnetsInfo;
  const unrecord =
    Object.keys(started).length > 0
      ? recordDevnets(config.dataDir, config.databaseUrl, started)
      : () => undefined;
  const xpubs: Partial<Record<Family, string>> = {};
  for (const f of Object.values(families())) {
    const xpub =
      f.configuredXpub(config) ??
      (config.isProduction ? null : accountXpub(devMnemonic(config.dataDir), f.name));
    if (xpub) xpubs[f.name] = xpub;
    else if (networks.some((n) => n.family === f.name))
      log.warn(`${f.label}_XPUB is not set: ${f.label} deposits are off`);
  }
  return {
    registry: new NetworkRegistry(networks),
    hd: new HdAddresses(xpubs),
    /** The account xpubs deposit addresses come from: the signer checks its seed against them. */
    xpubs,
    async close() {
      unrecord();
      for (const s of Object.values(set)) await s.devnet?.close();
    },
  };
}
