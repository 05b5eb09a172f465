import { HDNodeWallet, Mnemonic } from 'ethers';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { families, familyOf } from '../families.js';
import type { ChainFamily } from '../family.js';
import { payFromFaucet } from '../faucet.js';
import { devMnemonic } from '../hd.js';
import type { NetworkConfig, NetworkRegistry } from '../registry.js';
import type { HotWallet } from './types.js';

// Hot wallets for the worker role, from PAYOUT_TRON_PRIVATE_KEY / PAYOUT_EVM_PRIVATE_KEY, or PAYOUT_MNEMONIC
// (m/44'/195'/0'/0/0 and m/44'/60'/0'/0/0). Outside production without either, a development wallet is derived
// from the development mnemonic in DATA_DIR at account 1' (deposits use account 0'), and on a development chain
// with a faucet it is funded once, so `npm start` pays out end to end. The API role never calls this.

/** Whole tokens a fresh development hot wallet gets (its coin: the family's `devFundingNative`). */
const DEV_FUNDING_TOKENS = 1_000_000n;

interface KeySource {
  key: string;
  development: boolean;
}

function keyFor(config: Config, family: ChainFamily): KeySource | null {
  const p = config.payouts;
  const direct = family.configuredPayoutKey(config);
  if (direct) return { key: direct.replace(/^0x/, ''), development: false };
  const path = (account: number) => `m/44'/${family.coinType}'/${account}'/0/0`;
  if (p.mnemonic) {
    return {
      key: HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(p.mnemonic), path(0)).privateKey.slice(2),
      development: false,
    };
  }
  if (config.isProduction) return null;
  const node = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(devMnemonic(config.dataDir)), path(1));
  return { key: node.privateKey.slice(2), development: true };
}

export async function openHotWallets(
  config: Config,
  registry: NetworkRegistry,
  log: Logger,
): Promise<HotWallet[]> {
  const wallets: HotWallet[] = [];
  for (const family of Object.values(families())) {
    const nets = registry.all().filter((n) => n.family === family.name);
    if (nets.length === 0) continue;
    const source = keyFor(config, family);
    if (!source) {
      for (const net of nets)
        log.warn(
          { network: net.network, mode: net.mode },
          `no ${family.label} payout key configured: ${net.network} payouts wait`,
        );
      continue;
    }
    const opened = await family.openHotWallets(nets, source.key, config, log);
    for (const w of opened) {
      log.info({ wallet: w.key, networks: w.networks.map((n) => n.chain) }, 'payout hot wallet');
      if (source.development) await fundDevelopmentWallet(w, registry, log);
    }
    wallets.push(...opened);
  }
  return wallets;
}

/** Development only: a fresh dev hot wallet on a chain with a faucet gets tokens and gas once. */
async function fundDevelopmentWallet(w: HotWallet, registry: NetworkRegistry, log: Logger) {
  const family = familyOf(w.family);
  try {
    const b = await w.balances();
    for (const net of w.networks) {
      const faucet =
        net.faucetPrivateKey ??
        registry.all().find((n: NetworkConfig) => n.nodeUrl === net.nodeUrl && n.faucetPrivateKey)
          ?.faucetPrivateKey;
      if (!faucet || (b.token[net.network] ?? 0n) > 0n) continue;
      await payFromFaucet(
        { ...net, faucetPrivateKey: faucet },
        w.address,
        DEV_FUNDING_TOKENS * 10n ** BigInt(net.token.decimals),
      );
      if (b.native === 0n) {
        await family.payNative(net, faucet, w.address, family.devFundingNative);
        b.native = 1n;
      }
      log.info(
        { wallet: w.key, network: net.network },
        'funded the development hot wallet from the devnet faucet',
      );
    }
  } catch (err) {
    log.warn({ wallet: w.key, err: (err as Error).message }, 'could not fund the development hot wallet');
  }
}
