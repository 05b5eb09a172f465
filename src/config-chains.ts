import type { Config } from './config.js';
import type { Env } from './config-env.js';

// The chains' part of the Config (loadConfig in config.ts): TRON, the EVM networks, the payout keys.

export function tronConfig(e: Env): Config['tron'] {
  return {
    xpub: e.TRON_XPUB ?? null,
    nodeUrl: e.TRON_NODE_URL ?? null,
    apiKey: e.TRON_API_KEY ?? null,
    usdtContract: e.TRC20_USDT_CONTRACT,
    confirmations: e.TRC20_CONFIRMATIONS,
    testNodeUrl: e.TRON_TEST_NODE_URL ?? null,
    testUsdtContract: e.TRC20_TEST_USDT_CONTRACT ?? null,
    testFaucetPrivateKey: e.TRON_TEST_FAUCET_PRIVATE_KEY ?? null,
    devnet: e.TRON_DEVNET,
    devnetBlockMs: e.TRON_DEVNET_BLOCK_MS,
  };
}

export function payoutsConfig(e: Env): Config['payouts'] {
  return {
    tronPrivateKey: e.PAYOUT_TRON_PRIVATE_KEY ?? null,
    evmPrivateKey: e.PAYOUT_EVM_PRIVATE_KEY ?? null,
    mnemonic: e.PAYOUT_MNEMONIC ?? null,
    monitorMs: e.PAYOUT_MONITOR_MS,
    evmReplaceAfterMs: Math.round(e.PAYOUT_EVM_REPLACE_AFTER_SECONDS * 1000),
    tronMaxFeeLimitSun: e.PAYOUT_TRON_MAX_FEE_LIMIT_SUN,
  };
}

export function evmConfig(e: Env): Config['evm'] {
  return {
    xpub: e.EVM_XPUB ?? null,
    networks: evmNetworks(e),
    testRpcUrl: e.EVM_TEST_RPC_URL ?? null,
    testUsdt6: e.EVM_TEST_USDT6_CONTRACT ?? null,
    testUsdt18: e.EVM_TEST_USDT18_CONTRACT ?? null,
    testFaucetPrivateKey: e.EVM_TEST_FAUCET_PRIVATE_KEY ?? null,
    testConfirmations: e.EVM_TEST_CONFIRMATIONS,
    devnet: e.EVM_DEVNET,
    devnetBlockMs: e.EVM_DEVNET_BLOCK_MS,
  };
}

/** The live EVM networks whose RPC URLs are set. */
function evmNetworks(e: Env): Config['evm']['networks'] {
  return [
    {
      network: 'ERC20',
      urls: e.ERC20_RPC_URLS,
      chainId: e.ERC20_CHAIN_ID,
      usdtContract: e.ERC20_USDT_CONTRACT,
      decimals: 6,
      confirmations: e.ERC20_CONFIRMATIONS,
    },
    {
      network: 'BEP20',
      urls: e.BEP20_RPC_URLS,
      chainId: e.BEP20_CHAIN_ID,
      usdtContract: e.BEP20_USDT_CONTRACT,
      decimals: 18,
      confirmations: e.BEP20_CONFIRMATIONS,
    },
    {
      network: 'POLYGON',
      urls: e.POLYGON_RPC_URLS,
      chainId: e.POLYGON_CHAIN_ID,
      usdtContract: e.POLYGON_USDT_CONTRACT,
      decimals: 6,
      confirmations: e.POLYGON_CONFIRMATIONS,
    },
  ]
    .filter((n) => n.urls)
    .map(({ urls, ...n }) => ({ ...n, rpcUrls: urls!.split(',') }));
}
