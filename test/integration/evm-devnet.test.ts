import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import {
  Contract,
  HDNodeWallet,
  id,
  JsonRpcProvider,
  Mnemonic,
  parseUnits,
  toQuantity,
  Wallet,
  zeroPadValue,
} from 'ethers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  ARTIFACTS_FILE,
  DISPERSE_ADDRESS,
  type EvmDevnet,
  FAKE_TOKEN_ADDRESS,
  HARDHAT_ACCOUNTS,
  HARDHAT_MNEMONIC,
  startEvmDevnet,
  USDT6_ADDRESS,
  USDT18_ADDRESS,
} from '../../src/devnet/evm/index.js';

const TRANSFER = id('Transfer(address,address,uint256)');
const ERC20 = [
  'function balanceOf(address) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function transfer(address,uint256) returns (bool)',
];
const pad = (address: string) => zeroPadValue(address, 32);
const fresh = () => Wallet.createRandom().address;
const rpcOptions = { cacheTimeout: -1, pollingInterval: 50, staticNetwork: true, batchStallTime: 0 };

let devnet: EvmDevnet;
let provider: JsonRpcProvider;
let startMs = 0;

async function rawRpc(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : null,
  };
}
const call = (method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id: 1, method, params });
const transferLogs = (to: string, extra: object = {}) =>
  provider.send('eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest', topics: [TRANSFER, null, pad(to)], ...extra },
  ]);

beforeAll(async () => {
  const t = performance.now();
  devnet = await startEvmDevnet();
  startMs = performance.now() - t;
  provider = new JsonRpcProvider(devnet.url, undefined, rpcOptions);
});

afterAll(async () => {
  provider?.destroy();
  await devnet?.close();
});

afterEach(() => devnet.clearFaults());

describe('start', () => {
  it('deploys the contracts at constant addresses in block 1 and funds the faucet', async () => {
    expect(startMs).toBeLessThan(5_000);
    expect([USDT6_ADDRESS, USDT18_ADDRESS, FAKE_TOKEN_ADDRESS, DISPERSE_ADDRESS]).toEqual([
      '0x623ef522f686aC77093d606244e6351Fa451A85D',
      '0x1D26DC7BD98CFc1427c399B363eFDAC277274359',
      '0xc1Fd2F3A3fC8D81AC497a2A257c4ADd7087cDE45',
      '0x2E6C3c300B8fDBa7fF8F885Cb10aF5509a23C53f',
    ]);
    expect(devnet.usdt6.address).toBe(USDT6_ADDRESS);
    for (const a of [USDT6_ADDRESS, USDT18_ADDRESS, FAKE_TOKEN_ADDRESS, DISPERSE_ADDRESS])
      expect((await provider.getCode(a)).length).toBeGreaterThan(100);
    expect(Number((await provider.getNetwork()).chainId)).toBe(31337);
    expect(await provider.getBlockNumber()).toBeGreaterThanOrEqual(1);
    const usdt18 = new Contract(USDT18_ADDRESS, ERC20, provider);
    expect(await usdt18.decimals!()).toBe(18n);
    expect(await usdt18.symbol!()).toBe('USDT');
    expect(await usdt18.balanceOf!(devnet.faucet.address)).toBe(10n ** 30n);
    expect(await provider.getBalance(devnet.faucet.address)).toBeGreaterThan(9_000n * 10n ** 18n);
  });

  it('uses the hardhat mnemonic keys and a committed artifact that matches the sources', () => {
    const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), "m/44'/60'/0'/0");
    for (const [i, a] of HARDHAT_ACCOUNTS.entries())
      expect(a.privateKey).toBe(root.deriveChild(i).privateKey);
    expect(devnet.faucet.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    const artifact = JSON.parse(readFileSync(ARTIFACTS_FILE, 'utf8'));
    const dir = new URL('../../contracts/', import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith('.sol'));
    const hashes = Object.fromEntries(
      sources.map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(new URL(f, dir)))
          .digest('hex'),
      ]),
    );
    expect(artifact.sources, 'run npx tsx scripts/build-contracts.ts').toEqual(hashes);
  });
});

describe('tokens and logs', () => {
  it('transfers from the faucet; balances and eth_getLogs by topic2 see it', async () => {
    const to = fresh();
    const hash = await devnet.sendToken(devnet.usdt6, to, 25_000_000n);
    const receipt = await provider.getTransactionReceipt(hash);
    expect(receipt?.status).toBe(1);
    expect(await new Contract(USDT6_ADDRESS, ERC20, provider).balanceOf!(to)).toBe(25_000_000n);
    expect(await devnet.tokenBalance(devnet.usdt6, to)).toBe(25_000_000n);

    const logs = await transferLogs(to, { address: USDT6_ADDRESS });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      transactionHash: hash,
      topics: [TRANSFER, pad(devnet.faucet.address), pad(to)],
    });
    expect(BigInt(logs[0].data)).toBe(25_000_000n);
    // topic2 as an OR-list of watched addresses, as a scanner batches them
    const other = fresh();
    const both = await provider.getLogs({
      address: USDT6_ADDRESS,
      fromBlock: 0,
      topics: [TRANSFER, null, [pad(other), pad(to)]],
    });
    expect(both.map((l) => l.transactionHash)).toEqual([hash]);
  });

  it('keeps 18-decimal amounts above 2^53 exact', async () => {
    const to = fresh();
    const amount = parseUnits('100.000000000000000001', 18);
    expect(amount).toBe(100_000_000_000_000_000_001n);
    const hash = await devnet.sendToken(devnet.usdt18, to, amount);
    const [log] = await transferLogs(to, { address: USDT18_ADDRESS });
    expect(log.transactionHash).toBe(hash);
    expect(BigInt(log.data)).toBe(amount);
    expect(await new Contract(USDT18_ADDRESS, ERC20, provider).balanceOf!(to)).toBe(amount);
  });

  it('mines a reverted transfer with status 0 and no Transfer log', async () => {
    const to = fresh();
    const hash = await devnet.sendToken(devnet.usdt6, to, 5n, { revert: true });
    const receipt = await provider.getTransactionReceipt(hash);
    expect(receipt?.status).toBe(0);
    expect(receipt?.logs).toEqual([]);
    expect(await transferLogs(to)).toEqual([]);
    // the same over HTTP with ethers: an explicit gasLimit skips the estimate that would refuse it
    const poor = new Wallet(devnet.accounts[5]!.privateKey, provider);
    const tx = await new Contract(USDT6_ADDRESS, ERC20, poor).transfer!(to, 1n, { gasLimit: 100_000 });
    expect((await provider.getTransactionReceipt(tx.hash))?.status).toBe(0);
  });

  it("gives the fake token's Transfer logs the fake address", async () => {
    const to = fresh();
    const hash = await devnet.emitFakeTransfer(to, 7_000_000n);
    const logs = await transferLogs(to);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ address: FAKE_TOKEN_ADDRESS.toLowerCase(), transactionHash: hash });
    expect(await transferLogs(to, { address: USDT6_ADDRESS })).toEqual([]);
    expect(await devnet.tokenBalance(devnet.fakeToken, to)).toBe(0n); // a forged log moves nothing
  });

  it('disperses in one transaction: Transfer logs from inner transferFrom calls', async () => {
    const [a, b] = [fresh(), fresh()];
    const { txHash } = await devnet.disperseToken(devnet.usdt6, [
      { to: a, amount: 1_000_000n },
      { to: b, amount: 2_000_000n },
    ]);
    const tx = await provider.getTransaction(txHash);
    expect(tx?.to).toBe(DISPERSE_ADDRESS);
    const receipt = await provider.getTransactionReceipt(txHash);
    const transfers = receipt!.logs.filter((l) => l.topics[0] === TRANSFER);
    expect(transfers.map((l) => [l.address, l.topics[2], BigInt(l.data)])).toEqual([
      [USDT6_ADDRESS, pad(a).toLowerCase(), 1_000_000n],
      [USDT6_ADDRESS, pad(b).toLowerCase(), 2_000_000n],
    ]);
  });
});

describe('senders', () => {
  it('sends from any key or address (a deposit address sweeping), given ETH for gas', async () => {
    const deposit = Wallet.createRandom();
    const sink = fresh();
    await devnet.sendToken(devnet.usdt6, deposit.address, 9_000_000n);
    await devnet.sendEth(deposit.address, 10n ** 16n);
    const hash = await devnet.sendToken(devnet.usdt6, sink, 9_000_000n, { from: deposit.privateKey });
    expect((await provider.getTransaction(hash))?.from).toBe(deposit.address);
    expect(await devnet.tokenBalance(devnet.usdt6, sink)).toBe(9_000_000n);
    expect(await devnet.ethBalance(deposit.address)).toBeLessThan(10n ** 16n);
  });
});

describe('blocks', () => {
  it('with automine off, transactions wait for mine(n)', async () => {
    await devnet.setAutomine(false);
    try {
      const head = await devnet.blockNumber();
      const hash = await devnet.sendToken(devnet.usdt6, fresh(), 1n);
      expect(await provider.getTransactionReceipt(hash)).toBeNull();
      const mined = await devnet.mine(5);
      expect(mined.number).toBe(head + 5);
      expect((await provider.getBlock('latest'))?.hash).toBe(mined.hash);
      expect((await provider.getTransactionReceipt(hash))?.blockNumber).toBe(head + 1);
    } finally {
      await devnet.setAutomine(true);
    }
  });

  it('snapshot/revert replaces the blocks after the snapshot (a reorg)', async () => {
    await devnet.setAutomine(false);
    try {
      const to = fresh();
      const base = await devnet.blockNumber();
      const snap = await devnet.snapshot();
      const hash = await devnet.sendToken(devnet.usdt6, to, 3_000_000n);
      await devnet.mine(3);
      const before = await Promise.all([1, 2, 3].map((i) => provider.getBlock(base + i)));
      expect(await transferLogs(to)).toHaveLength(1);

      await devnet.revert(snap);
      expect(await devnet.blockNumber()).toBe(base);
      await devnet.mine(3); // same height, empty blocks
      const after = await Promise.all([1, 2, 3].map((i) => provider.getBlock(base + i)));
      for (const [i, b] of after.entries()) expect(b?.hash).not.toBe(before[i]?.hash);
      expect(after[0]?.parentHash).toBe(before[0]?.parentHash);
      expect(await provider.getTransactionReceipt(hash)).toBeNull();
      expect(await transferLogs(to)).toEqual([]);
      expect(await devnet.tokenBalance(devnet.usdt6, to)).toBe(0n);
      await expect(devnet.revert(snap)).rejects.toThrow(/no snapshot/);
    } finally {
      await devnet.setAutomine(true);
    }
  });
});

describe('provider limits and faults', () => {
  let limited: EvmDevnet;
  let lp: JsonRpcProvider;
  beforeAll(async () => {
    limited = await startEvmDevnet({
      chainId: 56,
      maxLogsBlockRange: 100,
      maxLogsResults: 3,
      finalizedDepth: 64,
    });
    lp = new JsonRpcProvider(limited.url, undefined, rpcOptions);
  });
  afterAll(async () => {
    lp?.destroy();
    await limited?.close();
  });

  it('refuses a wide eth_getLogs range with -32005 and answers a narrow one', async () => {
    expect(Number((await lp.getNetwork()).chainId)).toBe(56);
    expect(limited.usdt18.address).toBe(USDT18_ADDRESS);
    const to = fresh();
    await limited.sendToken(limited.usdt18, to, 1n);
    await limited.mine(200);
    const head = await limited.blockNumber();
    const filter = (from: number, toBlock: number | string) => ({
      fromBlock: toQuantity(from),
      toBlock: typeof toBlock === 'string' ? toBlock : toQuantity(toBlock),
      topics: [TRANSFER, null, pad(to)],
    });
    const wide = await rawRpc(limited.url, call('eth_getLogs', [filter(0, 'latest')]));
    expect(wide.status).toBe(200);
    expect(wide.json.error).toMatchObject({
      code: -32005,
      message: expect.stringMatching(/block range is too wide/),
    });
    await expect(lp.send('eth_getLogs', [filter(head - 150, head)])).rejects.toMatchObject({
      error: { code: -32005 },
    });
    expect(await lp.send('eth_getLogs', [filter(0, 99)])).toHaveLength(1);
    expect(await lp.send('eth_getLogs', [filter(head - 99, 'latest')])).toEqual([]);
    // in a batch only the offending call fails
    const batch = await rawRpc(limited.url, [
      { ...call('eth_getLogs', [filter(0, head)]), id: 1 },
      { ...call('eth_getLogs', [filter(0, 99)]), id: 2 },
    ]);
    expect(batch.json.map((r: any) => [r.id, r.error?.code ?? r.result.length])).toEqual([
      [1, -32005],
      [2, 1],
    ]);
  });

  it("pins the 'finalized' and 'safe' tags at head − finalizedDepth", async () => {
    await limited.mine(70);
    const head = await limited.blockNumber();
    expect(Number((await lp.send('eth_getBlockByNumber', ['finalized', false])).number)).toBe(head - 64);
    expect(Number((await lp.send('eth_getBlockByNumber', ['safe', false])).number)).toBe(head - 64);
    expect((await provider.send('eth_getBlockByNumber', ['finalized', false])).number).toBe(
      toQuantity(await devnet.blockNumber()),
    ); // Hardhat's default: finalized = head
  });

  it('refuses a result longer than maxLogsResults with a narrower range to try', async () => {
    const to = fresh();
    const start = (await limited.blockNumber()) + 1;
    for (let i = 0; i < 5; i++) await limited.sendToken(limited.usdt6, to, 1n);
    const res = await rawRpc(
      limited.url,
      call('eth_getLogs', [{ fromBlock: toQuantity(start), topics: [TRANSFER, null, pad(to)] }]),
    );
    expect(res.json.error.code).toBe(-32005);
    expect(res.json.error.message).toBe(
      `query returned more than 3 results. Try with this block range [${toQuantity(start)}, ${toQuantity(start + 2)}].`,
    );
  });

  it('injects 429, 503, slow and limit faults by method', async () => {
    limited.injectFault({ kind: '503', method: 'eth_blockNumber' });
    const r503 = await rawRpc(limited.url, call('eth_blockNumber'));
    expect(r503.status).toBe(503);
    expect(r503.text).toContain('503 Service Temporarily Unavailable');
    expect((await rawRpc(limited.url, call('eth_blockNumber'))).status).toBe(200);

    limited.injectFault({ kind: '429', times: 2 });
    expect((await rawRpc(limited.url, call('eth_chainId'))).status).toBe(429);
    expect(await lp.send('eth_chainId', [])).toBe('0x38'); // ethers retries 429 by itself

    limited.injectFault({ kind: 'limit' }); // eth_getLogs by default
    expect(await lp.getBlockNumber()).toBeGreaterThan(0);
    const latest = [{ fromBlock: 'latest', address: DISPERSE_ADDRESS }];
    await expect(lp.send('eth_getLogs', latest)).rejects.toMatchObject({
      error: { code: -32005, message: expect.stringMatching(/more than 10000 results/) },
    });
    expect(await lp.send('eth_getLogs', latest)).toEqual([]);

    limited.injectFault({ kind: 'slow', delayMs: 300, method: /^eth_get/ });
    const t = performance.now();
    await lp.send('eth_getBalance', [limited.faucet.address, 'latest']);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
  });
});

describe('JSON-RPC extras', () => {
  it('serves devnet_* controls and eth_subscribe over WebSocket on the same port', async () => {
    const info = await provider.send('devnet_info', []);
    expect(info.usdt18).toMatchObject({ address: USDT18_ADDRESS, decimals: 18 });
    const to = fresh();
    const hash = await provider.send('devnet_sendToken', [USDT6_ADDRESS, to, '42']);
    expect((await provider.getTransactionReceipt(hash))?.status).toBe(1);
    await expect(provider.send('devnet_nope', [])).rejects.toMatchObject({ error: { code: -32601 } });

    const ws = new WebSocket(devnet.wsUrl);
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const messages: any[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      ws.send(JSON.stringify({ ...call('eth_subscribe', ['newHeads']), id: 7 }));
      await expect.poll(() => messages.find((m) => m.id === 7)?.result).toMatch(/^0x/);
      const { number, hash: head } = await devnet.mine(1);
      await expect
        .poll(() => messages.find((m) => m.method === 'eth_subscription')?.params.result)
        .toMatchObject({ number: toQuantity(number), hash: head });
    } finally {
      ws.close();
    }
  });
});
