import { Contract, id, JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvmDevnet, startEvmDevnet } from '../../src/devnet/evm/index.js';

// The EVM devnet's 'revert' fault: a token transfer signed by its sender, accepted and mined, that reverts (status
// 0, no Transfer log, the gas it used burned), while nothing else about the sender changes; then the next one
// succeeds. Over HTTP, as the sweeper sends.

const TRANSFER = id('Transfer(address,address,uint256)');
let devnet: EvmDevnet;
let provider: JsonRpcProvider;

beforeAll(async () => {
  devnet = await startEvmDevnet();
  provider = new JsonRpcProvider(devnet.url, undefined, { cacheTimeout: -1, staticNetwork: true });
});
afterAll(async () => {
  provider?.destroy();
  await devnet?.close();
});

describe('revert fault', () => {
  it("mines the sender's next token transfer with status 0 and burned gas, its balance untouched", async () => {
    const sender = Wallet.createRandom().connect(provider);
    const sink = Wallet.createRandom().address;
    await devnet.sendToken(devnet.usdt6, sender.address, 5_000_000n);
    await devnet.sendEth(sender.address, 10n ** 16n);
    const token = new Contract(
      devnet.usdt6.address,
      ['function transfer(address,uint256) returns (bool)'],
      sender,
    );
    const transfer = token.transfer as (to: string, v: bigint, o: object) => Promise<{ hash: string }>;

    // Another sender's fault leaves this one alone; a transfer that is no token's is not taken either.
    const other = devnet.injectFault({ kind: 'revert', from: Wallet.createRandom().address });
    devnet.injectFault({ kind: 'revert', from: sender.address.toLowerCase() });
    const eth = await sender.sendTransaction({ to: sink, value: 1n, gasLimit: 21_000n });
    expect((await provider.getTransactionReceipt(eth.hash))?.status).toBe(1);

    const before = await devnet.ethBalance(sender.address);
    const sent = await transfer(sink, 2_000_000n, { gasLimit: 60_000n });
    const r = (await provider.getTransactionReceipt(sent.hash))!;
    expect(r.status).toBe(0);
    expect(r.logs.filter((l) => l.topics[0] === TRANSFER)).toEqual([]);
    expect(r.gasUsed).toBeGreaterThan(21_000n);
    expect(r.gasUsed).toBeLessThan(60_000n);
    expect(await devnet.ethBalance(sender.address)).toBe(before - r.gasUsed * r.gasPrice);
    expect(await devnet.tokenBalance(devnet.usdt6, sender.address)).toBe(5_000_000n);
    expect(await devnet.tokenBalance(devnet.usdt6, sink)).toBe(0n);

    // Used up: the next transfer moves the tokens.
    const again = await transfer(sink, 2_000_000n, { gasLimit: 60_000n });
    expect((await provider.getTransactionReceipt(again.hash))?.status).toBe(1);
    expect(await devnet.tokenBalance(devnet.usdt6, sink)).toBe(2_000_000n);
    devnet.clearFaults(other);
  });

  it('refuses a revert fault without a sender, and one while automine is off', async () => {
    expect(() => devnet.injectFault({ kind: 'revert' })).toThrow(/needs `from`/);
    const sender = Wallet.createRandom().connect(provider);
    await devnet.sendToken(devnet.usdt6, sender.address, 1_000_000n);
    await devnet.sendEth(sender.address, 10n ** 16n);
    devnet.injectFault({ kind: 'revert', from: sender.address });
    await devnet.setAutomine(false);
    try {
      const token = new Contract(devnet.usdt6.address, ['function transfer(address,uint256)'], sender);
      await expect(
        (token.transfer as (to: string, v: bigint, o: object) => Promise<unknown>)(sender.address, 1n, {
          gasLimit: 60_000n,
        }),
      ).rejects.toThrow(/needs automine/);
    } finally {
      await devnet.setAutomine(true);
    }
  });
});
