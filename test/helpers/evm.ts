import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { type EvmDevnet, startEvmDevnet } from '../../src/devnet/evm/index.js';
import { type TestContext, useTestApp } from './app.js';
import { MANUAL_SCAN_CONFIG, scanOnce } from './scan.js';

/**
 * A test app whose test-mode ERC20/BEP20/POLYGON networks are an EVM devnet started for this file
 * (automine: every transaction is a block; tests mine the confirmations). TRON is off.
 */
export function useEvmApp(
  config: Partial<Config> = {},
  devnetOptions: Parameters<typeof startEvmDevnet>[0] = {},
  role: 'api' | 'all' = 'all',
) {
  const holder: { devnet: EvmDevnet } = {} as never;
  const devnetReady = startEvmDevnet({ finalizedDepth: 1000, maxLogsBlockRange: 50, ...devnetOptions }).then(
    (d) => {
      holder.devnet = d;
      return d;
    },
  );
  beforeAll(async () => {
    await devnetReady;
  });
  const t = useTestApp(
    { ...MANUAL_SCAN_CONFIG, ...config },
    {
      role,
      configure: async () => {
        const d = await devnetReady;
        const base = loadConfig();
        return {
          tron: { ...base.tron, devnet: 'off', nodeUrl: null, testNodeUrl: null },
          evm: {
            ...base.evm,
            networks: [],
            devnet: 'off',
            testRpcUrl: d.url,
            testUsdt6: d.usdt6.address,
            testUsdt18: d.usdt18.address,
            testFaucetPrivateKey: d.faucet.privateKey,
            testConfirmations: 12,
          },
        };
      },
    },
  );
  afterAll(async () => {
    await holder.devnet?.close();
  });
  const extra = {
    get devnet(): EvmDevnet {
      return holder.devnet;
    },
    /** One scanner pass of a chain, retried while another pass holds its lock. */
    scan: (chain = 'ERC20:test') => scanOnce(t.app, chain),
  };
  Object.defineProperties(t, Object.getOwnPropertyDescriptors(extra));
  return t as TestContext & typeof extra;
}
