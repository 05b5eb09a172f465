import { afterAll, beforeAll, expect } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { type EvmDevnet, startEvmDevnet } from '../../src/devnet/evm/index.js';
import { TreasuryService } from '../../src/modules/treasury/index.js';
import { type TestContext, type TestMerchant, useTestApp } from './app.js';
import { type NodeGate, startNodeGate } from './node-gate.js';
import { MANUAL_SCAN_CONFIG, scanOnce } from './scan.js';

/**
 * A test app whose test-mode ERC20/BEP20/POLYGON networks are an EVM devnet started for this file
 * (automine: every transaction is a block; tests mine the confirmations). TRON is off.
 */
export function useEvmApp(
  config: Partial<Config> = {},
  devnetOptions: Parameters<typeof startEvmDevnet>[0] = {},
  role: 'api' | 'all' = 'all',
  opts: {
    /** The app reaches the devnet through a NodeGate (`t.gate`), which holds the requests a test chooses. */
    gate?: boolean;
  } = {},
) {
  const holder: { devnet: EvmDevnet; gate?: NodeGate } = {} as never;
  const devnetReady = startEvmDevnet({ finalizedDepth: 1000, maxLogsBlockRange: 50, ...devnetOptions }).then(
    async (d) => {
      holder.devnet = d;
      if (opts.gate) holder.gate = await startNodeGate(d.url);
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
            testRpcUrl: holder.gate?.url ?? d.url,
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
    await holder.gate?.close();
    await holder.devnet?.close();
  });
  const extra = {
    get devnet(): EvmDevnet {
      return holder.devnet;
    },
    /** With `opts.gate`: what the app reaches the devnet through. */
    get gate(): NodeGate {
      if (!holder.gate) throw new Error('useEvmApp without opts.gate');
      return holder.gate;
    },
    /** One scanner pass of a chain, retried while another pass holds its lock. */
    scan: (chain = 'ERC20:test') => scanOnce(t.app, chain),
  };
  Object.defineProperties(t, Object.getOwnPropertyDescriptors(extra));
  return t as TestContext & typeof extra;
}

/** A deposit request through REST, as a merchant makes it; the answer's body. */
export async function requestDeposit(
  t: TestContext,
  m: TestMerchant,
  userId: string,
  network: string,
  amount: string,
): Promise<{ id: string; depositAddress: string }> {
  const r = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId, amount, currency: 'USDT', network },
  });
  expect(r.status).toBe(200);
  return r.body;
}

/**
 * Ops sends the hot wallet gas (and tokens, when given) from the faucet and records each in the house books
 * (capital → custody:hot), as the runbook says.
 */
export async function fundHot(
  t: TestContext & { devnet: EvmDevnet },
  hot: string,
  wei: bigint,
  tokenUnits = 0n,
): Promise<void> {
  const treasury = new TreasuryService(t.app.services.ledger);
  const record = async (asset: 'native' | 'token', amount: bigint, reference: string) =>
    expect(
      await treasury.recordFunding({
        network: 'ERC20',
        mode: 'test',
        asset,
        to: 'hot',
        amount: String(amount),
        reference,
      }),
    ).toBe(true);
  await record('native', wei, await t.devnet.sendEth(hot, wei));
  if (tokenUnits > 0n)
    await record('token', tokenUnits, await t.devnet.sendToken(t.devnet.usdt6, hot, tokenUnits));
}
