import type { Config } from '../../config.js';
import type { DevnetsInfo, TronDevnetInfo } from '../../dev/devnet-state.js';
import type { Logger } from '../../lib/logger.js';
import type { FamilyNetworks } from '../family.js';
import { type NetworkConfig, tronToken } from '../registry.js';

async function startTron(config: Config, log: Logger): Promise<TronDevnetInfo & { close(): Promise<void> }> {
  const { startTronDevnet } = await import('../../devnet/tron/index.js');
  const d = await startTronDevnet({ blockIntervalMs: config.tron.devnetBlockMs });
  log.info(
    { url: d.url, blockMs: config.tron.devnetBlockMs },
    'started an in-process TRON devnet (set TRON_TEST_NODE_URL to use another node)',
  );
  return {
    url: d.url,
    usdtAddress: d.usdt.address,
    faucetPrivateKey: d.faucet.privateKey,
    close: () => d.close(),
  };
}

/**
 * TRC20 networks from configuration. Outside production, test mode (and live mode too, unless TRON_NODE_URL
 * is set) uses a TRON devnet started in-process when no node URL is given, so `npm start` works offline.
 */
export async function tronNetworks(
  config: Config,
  log: Logger,
  borrow: DevnetsInfo | undefined,
): Promise<FamilyNetworks> {
  const t = config.tron;
  let devnet: (TronDevnetInfo & { close(): Promise<void> }) | null = null;
  const wantDevnet = !config.isProduction && t.devnet === 'auto' && (!t.testNodeUrl || !t.nodeUrl);
  if (wantDevnet)
    devnet = borrow?.tron ? { ...borrow.tron, close: async () => undefined } : await startTron(config, log);
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
        ...(devnet && !t.testNodeUrl ? { devnet: true } : {}),
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
      ...(t.nodeUrl ? {} : { devnet: true }),
    });
  }
  return { networks, devnet, borrowed: !!borrow?.tron };
}
