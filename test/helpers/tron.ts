import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';
import { type TestContext, useTestApp } from './app.js';

/** A test app whose test-mode TRC20 network is a devnet started for this file (no timer: tests mine). */
export function useTronApp(config: Partial<Config> = {}, role: 'api' | 'all' = 'all') {
  const holder: { devnet: TronDevnet } = {} as never;
  const devnetReady = startTronDevnet({ solidDepth: 19 }).then((d) => {
    holder.devnet = d;
    return d;
  });
  beforeAll(async () => {
    await devnetReady;
  });
  const t = useTestApp(
    {
      chainScanIntervalMs: 600_000,
      depositExpiryIntervalMs: 600_000,
      chainInitialLookbackBlocks: 0,
      outboxPollMs: 100,
      ...config,
    },
    {
      role,
      configure: async () => {
        const d = await devnetReady;
        return {
          tron: {
            ...loadConfig().tron,
            devnet: 'off',
            nodeUrl: null,
            testNodeUrl: d.url,
            testUsdtContract: d.usdt.address,
            testFaucetPrivateKey: d.faucet.privateKey,
            confirmations: 19,
          },
        };
      },
    },
  );
  afterAll(async () => {
    await holder.devnet?.close();
  });
  const extra = {
    get devnet(): TronDevnet {
      return holder.devnet;
    },
    /** One scanner pass of TRC20:test, retried while another pass holds the chain's lock. */
    async scan() {
      const scanner = t.app.workers!.scanning.scanners.get('TRC20:test')!;
      for (let i = 0; i < 100; i++) {
        const r = await scanner.pass();
        if (!r.skipped) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error('scanner lock never free');
    },
  };
  Object.defineProperties(t, Object.getOwnPropertyDescriptors(extra));
  return t as TestContext & typeof extra;
}
