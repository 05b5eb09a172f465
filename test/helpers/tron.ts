import { TronWeb } from 'tronweb';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';
import type { Logger } from '../../src/lib/logger.js';
import { type TestContext, type TestMerchant, useTestApp } from './app.js';
import { type NodeGate, startNodeGate } from './node-gate.js';
import { MANUAL_SCAN_CONFIG, scanOnce } from './scan.js';

/** A test app whose test-mode TRC20 network is a devnet started for this file (no timer: tests mine). */
export function useTronApp(
  config: Partial<Config> = {},
  role: 'api' | 'all' = 'all',
  opts: {
    databaseUrl?: (dbName: string) => string | Promise<string>;
    /** The app's logger (to read what it logs); none by default. */
    logger?: Logger;
    /** The app reaches the devnet through a NodeGate (`t.gate`), which holds the requests a test chooses. */
    gate?: boolean;
  } = {},
) {
  const holder: { devnet: TronDevnet; gate?: NodeGate } = {} as never;
  const devnetReady = startTronDevnet({ solidDepth: 19 }).then(async (d) => {
    holder.devnet = d;
    if (opts.gate) holder.gate = await startNodeGate(d.url);
    return d;
  });
  beforeAll(async () => {
    await devnetReady;
  });
  const t = useTestApp(
    { ...MANUAL_SCAN_CONFIG, ...config },
    {
      role,
      databaseUrl: opts.databaseUrl,
      ...(opts.logger ? { logger: opts.logger } : {}),
      configure: async () => {
        const d = await devnetReady;
        return {
          tron: {
            ...loadConfig().tron,
            devnet: 'off',
            nodeUrl: null,
            testNodeUrl: holder.gate?.url ?? d.url,
            testUsdtContract: d.usdt.address,
            testFaucetPrivateKey: d.faucet.privateKey,
            confirmations: 19,
          },
        };
      },
    },
  );
  afterAll(async () => {
    await holder.gate?.close();
    await holder.devnet?.close();
  });
  const extra = {
    get devnet(): TronDevnet {
      return holder.devnet;
    },
    /** With `opts.gate`: what the app reaches the devnet through. */
    get gate(): NodeGate {
      if (!holder.gate) throw new Error('useTronApp without opts.gate');
      return holder.gate;
    },
    /** One scanner pass of TRC20:test, retried while another pass holds the chain's lock. */
    scan: () => scanOnce(t.app, 'TRC20:test'),
  };
  Object.defineProperties(t, Object.getOwnPropertyDescriptors(extra));
  return t as TestContext & typeof extra;
}

/** A TRC20 deposit of `amount` USDT for `userId`, created through the REST page's route. */
export async function createTronDeposit(t: TestContext, m: TestMerchant, userId: string, amount: number) {
  const r = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId, amount, currency: 'USDT', network: 'TRC20' },
  });
  expect(r.status).toBe(200);
  return r.body as { id: string; depositAddress: string };
}

/** The devnet's USDT balance of an address, in base units (read with tronweb, as a wallet would). */
export async function tronTokenBalance(devnet: TronDevnet, address: string): Promise<bigint> {
  const tw = new TronWeb({ fullHost: devnet.url });
  const r = await tw.transactionBuilder.triggerConstantContract(
    devnet.usdt.address,
    'balanceOf(address)',
    {},
    [{ type: 'address', value: address }],
    address,
  );
  return BigInt(`0x${r.constant_result[0]}`);
}

/** What deposit tests read and do through a TRON test app: the REST deposit, a balance, blocks then a pass. */
export function tronDepositSteps(t: ReturnType<typeof useTronApp>) {
  return {
    get: async (m: TestMerchant, id: string) =>
      (await t.request({ url: `/api/v1/deposit/${id}`, as: m })).body,
    balance: async (m: TestMerchant, userId: string) =>
      (await t.request({ url: `/api/v1/balance/${userId}`, as: m })).body.balance,
    /** Mines n blocks and runs a scanner pass. */
    mineAndScan: (n = 1) => {
      t.devnet.mine(n);
      return t.scan();
    },
  };
}
