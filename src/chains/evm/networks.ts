import type { Config } from '../../config.js';
import type { DevnetsInfo, EvmDevnetInfo } from '../../dev/devnet-state.js';
import type { Logger } from '../../lib/logger.js';
import type { FamilyNetworks } from '../family.js';
import { evmToken, type NetworkConfig } from '../registry.js';

type EvmDevnet = EvmDevnetInfo & { close(): Promise<void> };

/** The in-process EVM devnet (`finalized` lags far behind, so confirmations decide crediting). */
async function startEvm(config: Config, log: Logger): Promise<EvmDevnet> {
  const { startEvmDevnet } = await import('../../devnet/evm/index.js');
  const d = await startEvmDevnet({ blockIntervalMs: config.evm.devnetBlockMs, finalizedDepth: 1000 });
  log.info({ url: d.url }, 'started an in-process EVM devnet (set EVM_TEST_RPC_URL to use another node)');
  return {
    url: d.url,
    usdtAddress: d.usdt6.address,
    usdt18Address: d.usdt18.address,
    chainId: d.chainId,
    faucetPrivateKey: d.faucet.privateKey,
    close: () => d.close(),
  };
}

/**
 * EVM networks: live ones where RPC URLs are configured; in test mode ERC20 and POLYGON use the 6-decimal
 * token and BEP20 the 18-decimal one of one EVM node (EVM_TEST_RPC_URL, or an in-process hardhat devnet
 * outside production). Every EVM network draws addresses from one index space (m/44'/60'/0'/0/i), so an
 * address belongs to exactly one deposit whichever EVM chain the customer pays on.
 */
export async function evmNetworks(
  config: Config,
  log: Logger,
  borrow: DevnetsInfo | undefined,
): Promise<FamilyNetworks> {
  const e = config.evm;
  const networks: NetworkConfig[] = [];
  for (const n of e.networks) {
    networks.push({
      network: n.network,
      family: 'evm',
      mode: 'live',
      chain: `${n.network}:live`,
      nodeUrl: n.rpcUrls[0]!,
      rpcUrls: n.rpcUrls,
      chainId: n.chainId,
      apiKey: null,
      token: evmToken(n.usdtContract, n.decimals),
      confirmations: n.confirmations,
      faucetPrivateKey: null,
    });
  }
  let devnet: EvmDevnet | null = null;
  let url = e.testRpcUrl;
  let usdt6 = e.testUsdt6;
  let usdt18 = e.testUsdt18;
  let faucet = e.testFaucetPrivateKey;
  let chainId: number | undefined;
  if (!url && !config.isProduction && e.devnet === 'auto') {
    devnet = borrow?.evm ? { ...borrow.evm, close: async () => undefined } : await startEvm(config, log);
    url = devnet.url;
    usdt6 = devnet.usdtAddress;
    usdt18 = devnet.usdt18Address;
    faucet = devnet.faucetPrivateKey;
    chainId = devnet.chainId;
  }
  if (url) {
    for (const [network, contract, decimals] of [
      ['ERC20', usdt6, 6],
      ['BEP20', usdt18, 18],
      ['POLYGON', usdt6, 6],
    ] as const) {
      if (!contract) continue;
      networks.push({
        network,
        family: 'evm',
        mode: 'test',
        chain: `${network}:test`,
        nodeUrl: url,
        rpcUrls: [url],
        ...(chainId ? { chainId } : {}),
        apiKey: null,
        token: evmToken(contract, decimals),
        confirmations: e.testConfirmations,
        faucetPrivateKey: faucet,
        ...(devnet ? { devnet: true } : {}),
      });
    }
  }
  return { networks, devnet, borrowed: !!borrow?.evm };
}
