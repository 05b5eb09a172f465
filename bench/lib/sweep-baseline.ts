import { Interface, type JsonRpcProvider, Transaction, Wallet } from 'ethers';
import { type CpuSplit, cpuMeter } from './cpu.js';
import { type Fees, readFees, walletLikeProvider } from './payouts-baselines.js';
import { sleep } from './proc.js';

// The sweep benchmark's baseline (bench/sweep.ts): the RPCs a sweep needs, in a bare ethers loop with no
// database, no queue and no pass structure, on the same devnet and chain clock. For N funded deposit keys:
// eth_estimateGas of each token transfer to the hot wallet (fee data read once), one disperseEther top-up per
// TOPUP_BATCH addresses from the hot wallet (local nonces) of exactly gas × maxFeePerGas each, wait for the
// top-ups' receipts, then sign and send every token transfer with exactly that gas, and wait until all are
// `confirmations` deep. Receipts are read once per new block for what is still outstanding.

const ERC20 = new Interface(['function transfer(address to, uint256 amount) returns (bool)']);
const DISPERSE = new Interface(['function disperseEther(address[] recipients, uint256[] values) payable']);
/** As EvmSweepChain: up to 100 addresses per top-up, the top-up's gas limit with a 20 % margin. */
export const TOPUP_BATCH = 100;
const TOPUP_GAS_MARGIN_PERCENT = 120n;
const WAIT_MAX_MS = 10 * 60_000;

export interface BareSweepInput {
  url: string;
  chainId: number;
  token: string;
  disperse: string;
  /** The baseline's own hot wallet (funded with the chain's coin) and deposit keys (funded with tokens). */
  hotKey: string;
  keys: Wallet[];
  units: bigint;
  confirmations: number;
}

/** Seconds from the start at which the last of the N reached each step. */
export interface BareMilestones {
  estimated: number;
  toppedUp: number;
  fundedMined: number;
  sent: number;
  confirmed: number;
}

export interface BareSweep {
  n: number;
  seconds: number;
  milestones: BareMilestones;
  topups: number;
  rpcCalls: Record<string, number>;
  cpu: CpuSplit;
}

function counted(p: JsonRpcProvider, calls: Record<string, number>): void {
  const send = p.send.bind(p);
  p.send = (method: string, params: unknown[] | Record<string, unknown>) => {
    calls[method] = (calls[method] ?? 0) + 1;
    return send(method, params);
  };
}

/** Waits until every hash has a successful receipt and the highest of them is `confirmations` deep. */
async function waitMined(p: JsonRpcProvider, hashes: string[], confirmations: number): Promise<void> {
  const pending = new Set(hashes);
  const deadline = Date.now() + WAIT_MAX_MS;
  let checked = -1;
  let highest = 0;
  for (;;) {
    const head = Number(await p.send('eth_blockNumber', []));
    if (head !== checked) {
      checked = head;
      for (const h of [...pending]) {
        const r = (await p.send('eth_getTransactionReceipt', [h])) as {
          status: string;
          blockNumber: string;
        } | null;
        if (!r) continue;
        if (Number(r.status) !== 1) throw new Error(`baseline transaction ${h} reverted`);
        pending.delete(h);
        highest = Math.max(highest, Number(r.blockNumber));
      }
    }
    if (pending.size === 0 && head - highest + 1 >= confirmations) return;
    if (Date.now() > deadline) throw new Error(`baseline: ${pending.size} transactions never mined`);
    await sleep(20);
  }
}

interface Ctx {
  p: JsonRpcProvider;
  input: BareSweepInput;
  hot: Wallet;
  fees: Fees;
  /** The token transfer to the hot wallet (the same call data for every address). */
  data: string;
}

/** One disperseEther per TOPUP_BATCH addresses of gas × maxFeePerGas each, from the hot wallet; their hashes. */
async function topUp(c: Ctx, gas: bigint[]): Promise<string[]> {
  const { p, input, hot, fees } = c;
  let nonce = Number(await p.send('eth_getTransactionCount', [hot.address, 'pending']));
  const topups: string[] = [];
  for (let i = 0; i < input.keys.length; i += TOPUP_BATCH) {
    const batch = input.keys.slice(i, i + TOPUP_BATCH).map((k) => k.address);
    const values = gas.slice(i, i + TOPUP_BATCH).map((g) => g * fees.maxFeePerGas);
    const value = values.reduce((a, b) => a + b, 0n);
    const call = DISPERSE.encodeFunctionData('disperseEther', [batch, values]);
    const valueHex = `0x${value.toString(16)}`;
    const topupGas = BigInt(
      await p.send('eth_estimateGas', [
        { from: hot.address, to: input.disperse, data: call, value: valueHex },
      ]),
    );
    const raw = await hot.signTransaction({
      type: 2,
      chainId: input.chainId,
      nonce: nonce++,
      to: input.disperse,
      data: call,
      value,
      gasLimit: (topupGas * TOPUP_GAS_MARGIN_PERCENT) / 100n,
      ...fees,
    });
    topups.push(await p.send('eth_sendRawTransaction', [raw]));
  }
  return topups;
}

/** Each address's token transfer to the hot wallet, signed with exactly its estimated gas; their hashes. */
async function sendSweeps(c: Ctx, gas: bigint[]): Promise<string[]> {
  const sweeps: string[] = [];
  for (const [i, k] of c.input.keys.entries()) {
    const raw = await k.signTransaction({
      type: 2,
      chainId: c.input.chainId,
      nonce: 0,
      to: c.input.token,
      data: c.data,
      value: 0n,
      gasLimit: gas[i]!,
      ...c.fees,
    });
    const hash = await c.p.send('eth_sendRawTransaction', [raw]);
    if (hash !== Transaction.from(raw).hash) throw new Error(`the node answered ${hash} for another hash`);
    sweeps.push(hash);
  }
  return sweeps;
}

export async function bareSweep(input: BareSweepInput): Promise<BareSweep> {
  const p = walletLikeProvider(input.url, input.chainId);
  const rpcCalls: Record<string, number> = {};
  counted(p, rpcCalls);
  const hot = new Wallet(input.hotKey);
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  const at = () => (performance.now() - t0) / 1000;
  try {
    const c: Ctx = {
      p,
      input,
      hot,
      fees: await readFees(p),
      data: ERC20.encodeFunctionData('transfer', [hot.address, input.units]),
    };
    const gas: bigint[] = [];
    for (const k of input.keys)
      gas.push(BigInt(await p.send('eth_estimateGas', [{ from: k.address, to: input.token, data: c.data }])));
    const estimated = at();
    const topups = await topUp(c, gas);
    const toppedUp = at();
    await waitMined(p, topups, 1);
    const fundedMined = at();
    const sweeps = await sendSweeps(c, gas);
    const sent = at();
    await waitMined(p, sweeps, input.confirmations);
    const confirmed = at();
    return {
      n: input.keys.length,
      seconds: confirmed,
      milestones: { estimated, toppedUp, fundedMined, sent, confirmed },
      topups: topups.length,
      rpcCalls,
      cpu: cpuDone(),
    };
  } finally {
    p.destroy();
  }
}
