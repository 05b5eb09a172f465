import { FetchRequest, Interface, JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { EvmDevnet } from '../../src/devnet/evm/index.js';
import { type CpuSplit, cpuMeter } from './cpu.js';
import { type MinedBlock, MineLoop } from './payouts-chain.js';
import { CONFIRMATIONS, freshAddress } from './payouts-fixtures.js';
import type { Probe } from './payouts-probe.js';

// The baselines of `npm run bench -- payouts` (bench/payouts.ts): the node alone, no database.

/** As src/chains/evm/hot-wallet.ts. */
const FEE_TTL_MS = 2_000;
const GAS_MARGIN_PERCENT = 125n;
const REQUEST_TIMEOUT_MS = 10_000;
const ERC20 = new Interface([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);

/** As EvmHotWallet builds its provider. */
export function walletLikeProvider(url: string, chainId: number): JsonRpcProvider {
  const req = new FetchRequest(url);
  req.timeout = REQUEST_TIMEOUT_MS;
  req.setThrottleParams({ maxAttempts: 1 });
  return new JsonRpcProvider(req, chainId, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export async function readFees(p: JsonRpcProvider): Promise<Fees> {
  const d = await p.getFeeData();
  const max = d.maxFeePerGas ?? d.gasPrice!;
  const priority = d.maxPriorityFeePerGas ?? 0n;
  return { maxFeePerGas: max, maxPriorityFeePerGas: priority > max ? max : priority };
}

type BaselineMode = 'bare' | 'worker-rpcs';

export interface Baseline {
  mode: BaselineMode;
  n: number;
  seconds: number;
  rpcCalls: Record<string, number>;
  hashes: string[];
  recipients: { to: string; units: bigint }[];
  blocks: MinedBlock[];
  cpu: CpuSplit;
}

/**
 * N token transfers from `key`, one at a time, nonces counted here. 'bare': fee caps and gas limit read once
 * before the loop, then sign + eth_sendRawTransaction. 'worker-rpcs': per transfer what EvmHotWallet asks
 * for one payout: feeCost (fee data, cached 2 s, and eth_estimateGas, in parallel), then sign (fee data
 * again from the cache, eth_estimateGas again, sign, parse the hash), then eth_sendRawTransaction.
 */
export async function baselineSend(
  devnet: EvmDevnet,
  key: string,
  token: string,
  units: bigint,
  n: number,
  mode: BaselineMode,
  blockMs: number,
): Promise<Baseline> {
  const p = walletLikeProvider(devnet.url, devnet.chainId);
  const signer = new Wallet(key);
  const rpcCalls: Record<string, number> = {};
  let stopLater: (() => Promise<unknown>) | null = null;
  const sendRpc = p.send.bind(p);
  p.send = (method: string, params: unknown[] | Record<string, unknown>) => {
    rpcCalls[method] = (rpcCalls[method] ?? 0) + 1;
    return sendRpc(method, params);
  };
  try {
    let nonce = Number(await p.send('eth_getTransactionCount', [signer.address, 'pending']));
    const estimate = async (to: string) =>
      (BigInt(
        await p.send('eth_estimateGas', [
          { from: signer.address, to: token, data: ERC20.encodeFunctionData('transfer', [to, units]) },
        ]),
      ) *
        GAS_MARGIN_PERCENT) /
      100n;
    let cache = { at: Date.now(), fees: await readFees(p) };
    const fees = async () => {
      if (Date.now() - cache.at < FEE_TTL_MS) return cache.fees;
      cache = { at: Date.now(), fees: await readFees(p) };
      return cache.fees;
    };
    const fixedGas = await estimate(freshAddress());
    for (const k of Object.keys(rpcCalls)) delete rpcCalls[k];
    const recipients = Array.from({ length: n }, () => ({ to: freshAddress(), units }));
    const hashes: string[] = [];
    const loop = new MineLoop(devnet, blockMs).start();
    stopLater = () => loop.stop();
    const cpuDone = cpuMeter();
    const t0 = performance.now();
    for (const r of recipients) {
      let f = cache.fees;
      let gasLimit = fixedGas;
      if (mode === 'worker-rpcs') {
        await Promise.all([fees(), estimate(r.to)]); // feeCost: the budget check
        f = await fees();
        gasLimit = await estimate(r.to);
      }
      const raw = await signer.signTransaction({
        type: 2,
        chainId: devnet.chainId,
        nonce: nonce++,
        to: token,
        data: ERC20.encodeFunctionData('transfer', [r.to, r.units]),
        value: 0n,
        gasLimit,
        maxFeePerGas: f.maxFeePerGas,
        maxPriorityFeePerGas: f.maxPriorityFeePerGas,
      });
      if (mode === 'worker-rpcs') hashes.push(Transaction.from(raw).hash!);
      const hash = await p.send('eth_sendRawTransaction', [raw]);
      if (mode === 'bare') hashes.push(hash);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDone();
    stopLater = null;
    const blocks = await loop.stop();
    return { mode, n, seconds, rpcCalls, hashes, recipients, blocks, cpu };
  } finally {
    await stopLater?.(); // a failed loop must not leave blocks being mined behind it
    p.destroy();
  }
}

export interface FollowBaseline {
  n: number;
  seconds: number;
  mined: number;
  cpu: CpuSplit;
}

export type NodeWork = [string, { calls: number; ms: number }][];

/** Runs a baseline with the timers on: only the node's own work is timed outside the app's passes. */
export async function nodeTimed<T>(probe: Probe, fn: () => Promise<T>): Promise<T & { node: NodeWork }> {
  probe.t.reset();
  probe.t.active = true;
  try {
    const out = await fn();
    return { ...out, node: probe.t.entries().filter(([x]) => x.startsWith('node ')) };
  } finally {
    probe.t.active = false;
  }
}

/** What EvmHotWallet.lookup asks per open transaction: its receipt, then eth_blockNumber; one at a time. */
export async function baselineFollow(devnet: EvmDevnet, hashes: string[]): Promise<FollowBaseline> {
  const p = walletLikeProvider(devnet.url, devnet.chainId);
  try {
    const cpuDone = cpuMeter();
    const t0 = performance.now();
    let mined = 0;
    for (const h of hashes) {
      const receipt = await p.send('eth_getTransactionReceipt', [h]);
      if (!receipt) continue;
      const head = Number(await p.send('eth_blockNumber', []));
      if (Number(receipt.status) === 1 && head - Number(receipt.blockNumber) + 1 >= CONFIRMATIONS) mined++;
    }
    return { n: hashes.length, seconds: (performance.now() - t0) / 1000, mined, cpu: cpuDone() };
  } finally {
    p.destroy();
  }
}
