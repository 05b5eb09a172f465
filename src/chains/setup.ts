import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { accountXpub, devMnemonic, HdAddresses } from './hd.js';
import { type NetworkConfig, NetworkRegistry, tronToken } from './registry.js';

export interface Devnet {
  url: string;
  usdtAddress: string;
  faucetPrivateKey: string;
  close(): Promise<void>;
}

/**
 * Networks from configuration. Outside production, test mode (and live mode too, unless TRON_NODE_URL is
 * set) uses a TRON devnet started in-process when no node URL is given, so `npm start` works offline.
 */
export async function setupChains(config: Config, log: Logger) {
  const t = config.tron;
  let devnet: Devnet | null = null;
  const wantDevnet = !config.isProduction && t.devnet === 'auto' && (!t.testNodeUrl || !t.nodeUrl);
  if (wantDevnet) {
    const { startTronDevnet } = await import('../devnet/tron/index.js');
    const d = await startTronDevnet({ blockIntervalMs: t.devnetBlockMs });
    devnet = {
      url: d.url,
      usdtAddress: d.usdt.address,
      faucetPrivateKey: d.faucet.privateKey,
      close: () => d.close(),
    };
    log.info(
      { url: d.url, blockMs: t.devnetBlockMs },
      'started an in-process TRON devnet (set TRON_TEST_NODE_URL to use another node)',
    );
  }
  const networks: NetworkConfig[] = [];
  const testUrl = t.testNodeUrl ?? devnet?.url ?? null;
  if (testUrl) {
    const usdt = t.testUsdtContract ?? (t.testNodeUrl ? null : devnet?.usdtAddress) ?? null;
    if (usdt) {
      networks.push({
        network: 'TRC20',
        family: 'tron',
        mode: 'test',
        chain: 'TRC20:test',
        nodeUrl: testUrl,
        apiKey: null,
        token: tronToken(usdt, 6),
        confirmations: t.confirmations,
        faucetPrivateKey:
          t.testFaucetPrivateKey ?? (t.testNodeUrl ? null : (devnet?.faucetPrivateKey ?? null)),
      });
    } else log.warn('TRON_TEST_NODE_URL is set without TRC20_TEST_USDT_CONTRACT: TRC20 is off in test mode');
  }
  const liveUrl = t.nodeUrl ?? devnet?.url ?? null;
  if (liveUrl) {
    networks.push({
      network: 'TRC20',
      family: 'tron',
      mode: 'live',
      chain: 'TRC20:live',
      nodeUrl: liveUrl,
      apiKey: t.nodeUrl ? t.apiKey : null,
      token: tronToken(t.nodeUrl ? t.usdtContract : devnet!.usdtAddress, 6),
      confirmations: t.confirmations,
      faucetPrivateKey: null,
    });
  }
  const tronXpub = t.xpub ?? (config.isProduction ? null : accountXpub(devMnemonic(config.dataDir), 'tron'));
  if (!tronXpub && networks.length > 0) log.warn('TRON_XPUB is not set: TRC20 deposits are off');
  return {
    registry: new NetworkRegistry(networks),
    hd: new HdAddresses({ ...(tronXpub ? { tron: tronXpub } : {}) }),
    devnet,
  };
}
