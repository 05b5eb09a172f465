import type { Config } from '../config.js';
import {
  type DevnetsInfo,
  type EvmDevnetInfo,
  recordDevnets,
  type TronDevnetInfo,
} from '../dev/devnet-state.js';
import type { Logger } from '../lib/logger.js';
import { accountXpub, devMnemonic, HdAddresses } from './hd.js';
import { evmToken, type NetworkConfig, NetworkRegistry, tronToken } from './registry.js';

export interface Devnet extends TronDevnetInfo {
  close(): Promise<void>;
}

interface EvmDevnet extends EvmDevnetInfo {
  close(): Promise<void>;
}

export interface SetupOptions {
  /**
   * Devnets another process runs (a CLI run next to `npm start`, see src/dev/devnet-state.ts): used where
   * this process would start its own, and not stopped by close().
   */
  borrow?: DevnetsInfo;
}

const borrowed = <T>(info: T): T & { close(): Promise<void> } => ({ ...info, close: async () => undefined });

/** The in-process EVM devnet (`finalized` lags far behind, so confirmations decide crediting). */
async function startEvm(config: Config, log: Logger): Promise<EvmDevnet> {
  const { startEvmDevnet } = await import('../devnet/evm/index.js');
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

async function startTron(config: Config, log: Logger): Promise<Devnet> {
  const { startTronDevnet } = await import('../devnet/tron/index.js');
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
 * EVM networks: live ones where RPC URLs are configured; in test mode ERC20 and POLYGON use the 6-decimal
 * token and BEP20 the 18-decimal one of one EVM node (EVM_TEST_RPC_URL, or an in-process hardhat devnet
 * outside production). Every EVM network draws addresses from one index space (m/44'/60'/0'/0/i), so an
 * address belongs to exactly one deposit whichever EVM chain the customer pays on.
 */
async function setupEvm(config: Config, log: Logger, networks: NetworkConfig[], borrow?: EvmDevnetInfo) {
  const e = config.evm;
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
    devnet = borrow ? borrowed(borrow) : await startEvm(config, log);
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
  return { devnet };
}

/**
 * Networks from configuration. Outside production, test mode (and live mode too, unless TRON_NODE_URL is
 * set) uses a TRON devnet started in-process when no node URL is given, so `npm start` works offline.
 */
export async function setupChains(config: Config, log: Logger, opts: SetupOptions = {}) {
  const t = config.tron;
  let devnet: Devnet | null = null;
  const wantDevnet = !config.isProduction && t.devnet === 'auto' && (!t.testNodeUrl || !t.nodeUrl);
  if (wantDevnet) devnet = opts.borrow?.tron ? borrowed(opts.borrow.tron) : await startTron(config, log);
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
  const evm = await setupEvm(config, log, networks, opts.borrow?.evm);
  // A CLI run on this DATA_DIR reaches the devnets this process started (src/dev/devnet-state.ts); the
  // record is their JSON (close() is a function, which JSON leaves out).
  const started: DevnetsInfo = {
    ...(devnet && !opts.borrow?.tron ? { tron: devnet } : {}),
    ...(evm.devnet && !opts.borrow?.evm ? { evm: evm.devnet } : {}),
  };
  const unrecord =
    started.tron || started.evm
      ? recordDevnets(config.dataDir, config.databaseUrl, started)
      : () => undefined;
  const tronXpub = t.xpub ?? (config.isProduction ? null : accountXpub(devMnemonic(config.dataDir), 'tron'));
  if (!tronXpub && networks.some((n) => n.family === 'tron'))
    log.warn('TRON_XPUB is not set: TRC20 deposits are off');
  const evmXpub =
    config.evm.xpub ?? (config.isProduction ? null : accountXpub(devMnemonic(config.dataDir), 'evm'));
  if (!evmXpub && networks.some((n) => n.family === 'evm'))
    log.warn('EVM_XPUB is not set: EVM deposits are off');
  const xpubs = { ...(tronXpub ? { tron: tronXpub } : {}), ...(evmXpub ? { evm: evmXpub } : {}) };
  return {
    registry: new NetworkRegistry(networks),
    hd: new HdAddresses(xpubs),
    /** The account xpubs deposit addresses come from: the signer checks its seed against them. */
    xpubs,
    devnet,
    evmDevnet: evm.devnet,
    async close() {
      unrecord();
      await devnet?.close();
      await evm.devnet?.close();
    },
  };
}
