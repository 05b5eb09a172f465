import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from 'ethers';
import { TronWeb } from 'tronweb';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { payFromFaucet } from '../faucet.js';
import { devMnemonic, type Family } from '../hd.js';
import type { NetworkConfig, NetworkRegistry } from '../registry.js';
import { EvmHotWallet } from './evm.js';
import { TronHotWallet } from './tron.js';
import type { HotWallet } from './types.js';

// Hot wallets for the worker role, from PAYOUT_TRON_PRIVATE_KEY / PAYOUT_EVM_PRIVATE_KEY, or PAYOUT_MNEMONIC
// (m/44'/195'/0'/0/0 and m/44'/60'/0'/0/0). Outside production without either, a development wallet is derived
// from the development mnemonic in DATA_DIR at account 1' (deposits use account 0'), and on a development chain
// with a faucet it is funded once, so `npm start` pays out end to end. The API role never calls this.

const DEV_FUNDING = { tokenWhole: 1_000_000n, trxSun: 10_000_000_000n, wei: 10n ** 19n };

interface KeySource {
  key: string;
  development: boolean;
}

function keyFor(config: Config, family: Family): KeySource | null {
  const p = config.payouts;
  const direct = family === 'tron' ? p.tronPrivateKey : p.evmPrivateKey;
  if (direct) return { key: direct.replace(/^0x/, ''), development: false };
  const path = (account: number) =>
    family === 'tron' ? `m/44'/195'/${account}'/0/0` : `m/44'/60'/${account}'/0/0`;
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

async function chainIdOf(net: NetworkConfig): Promise<number> {
  if (net.chainId) return net.chainId;
  const p = new JsonRpcProvider(net.nodeUrl, undefined, { staticNetwork: true });
  try {
    return Number(await p.send('eth_chainId', []));
  } finally {
    p.destroy();
  }
}

export async function openHotWallets(
  config: Config,
  registry: NetworkRegistry,
  log: Logger,
): Promise<HotWallet[]> {
  const wallets: HotWallet[] = [];
  const tron = keyFor(config, 'tron');
  const evm = keyFor(config, 'evm');
  const byChainId = new Map<number, NetworkConfig[]>();
  for (const net of registry.all()) {
    if (net.family === 'tron') {
      if (!tron) {
        log.warn(
          { network: net.network, mode: net.mode },
          'no TRON payout key configured: TRC20 payouts wait',
        );
        continue;
      }
      wallets.push(new TronHotWallet(net, tron.key, BigInt(config.payouts.tronMaxFeeLimitSun)));
    } else {
      if (!evm) {
        log.warn({ network: net.network, mode: net.mode }, 'no EVM payout key configured: EVM payouts wait');
        continue;
      }
      let id: number;
      try {
        id = await chainIdOf(net);
      } catch (err) {
        log.warn(
          { network: net.network, err: (err as Error).message },
          'EVM node unreachable: its payouts wait',
        );
        continue;
      }
      byChainId.set(id, [...(byChainId.get(id) ?? []), net]);
    }
  }
  for (const [id, nets] of byChainId) wallets.push(new EvmHotWallet(id, nets, evm!.key));
  for (const w of wallets) {
    log.info({ wallet: w.key, networks: w.networks.map((n) => n.chain) }, 'payout hot wallet');
    const dev = (w.family === 'tron' ? tron : evm)?.development;
    if (dev) await fundDevelopmentWallet(w, registry, log);
  }
  return wallets;
}

/** Development only: a fresh dev hot wallet on a chain with a faucet gets tokens and gas once. */
async function fundDevelopmentWallet(w: HotWallet, registry: NetworkRegistry, log: Logger) {
  try {
    const b = await w.balances();
    for (const net of w.networks) {
      const faucet =
        net.faucetPrivateKey ??
        registry.all().find((n) => n.nodeUrl === net.nodeUrl && n.faucetPrivateKey)?.faucetPrivateKey;
      if (!faucet || (b.token[net.network] ?? 0n) > 0n) continue;
      await payFromFaucet(
        { ...net, faucetPrivateKey: faucet },
        w.address,
        DEV_FUNDING.tokenWhole * 10n ** BigInt(net.token.decimals),
      );
      if (b.native === 0n) {
        if (w.family === 'tron') {
          const tw = new TronWeb({ fullHost: net.nodeUrl, privateKey: faucet });
          await tw.trx.sendTransaction(w.address, Number(DEV_FUNDING.trxSun));
        } else {
          const p = new JsonRpcProvider(net.nodeUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
          try {
            // Sent, not awaited: a devnet without automine includes it in its next block.
            await new Wallet(faucet, p).sendTransaction({ to: w.address, value: DEV_FUNDING.wei });
          } finally {
            p.destroy();
          }
        }
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
