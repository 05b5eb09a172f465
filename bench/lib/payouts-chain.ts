import type { EvmDevnet } from '../../src/devnet/evm/index.js';

// The chain of `npm run bench -- payouts` (bench/payouts.ts): the hardhat devnet's eth_estimateGas default set
// to a real node's, and the chain's clock (a block every PAYOUTS_BLOCK_MS while transactions are sent).

/**
 * eth_estimateGas without a block tag runs against 'latest', as geth does since go-ethereum#24363 (2023).
 * Hardhat's default is 'pending', which it builds by executing the whole mempool on every call: 0.2 ms per
 * pending transaction here, so each estimate would cost in proportion to how fast the sender fills the
 * mempool, and the faster loop would pay more per estimate.
 */
export function estimateAtLatest(devnet: EvmDevnet): void {
  const p = devnet.provider as any;
  const request = p.request.bind(p) as (a: { method: string; params?: unknown[] }) => Promise<unknown>;
  p.request = (a: { method: string; params?: unknown[] }) =>
    request(
      a.method === 'eth_estimateGas' && (a.params?.length ?? 0) === 1
        ? { method: a.method, params: [...a.params!, 'latest'] }
        : a,
    );
}

const hex = (n: number) => `0x${n.toString(16)}`;

export interface MinedBlock {
  number: number;
  txs: number;
  ms: number;
}

/** One block every `intervalMs` (hardhat_mine of 1: the block takes the mempool, up to the gas limit). */
export class MineLoop {
  readonly blocks: MinedBlock[] = [];
  private stopped = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(
    private readonly devnet: EvmDevnet,
    private readonly intervalMs: number,
  ) {}

  /** Loops not stopped yet: the bench stops them all on its way out, whatever failed. */
  static readonly running = new Set<MineLoop>();

  start(): this {
    MineLoop.running.add(this);
    this.done = (async () => {
      while (!this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopped) break;
        const t0 = performance.now();
        const b = await this.devnet.mine(1);
        const txs = Number(
          await this.devnet.request<string>('eth_getBlockTransactionCountByNumber', [hex(b.number)]),
        );
        this.blocks.push({ number: b.number, txs, ms: performance.now() - t0 });
      }
    })();
    return this;
  }

  async stop(): Promise<MinedBlock[]> {
    MineLoop.running.delete(this);
    this.stopped = true;
    this.wake?.();
    await this.done;
    return this.blocks;
  }
}

/** Mines until `address` has nothing pending, then `confirmations` more blocks; returns the blocks mined. */
export async function mineOut(devnet: EvmDevnet, address: string, confirmations: number): Promise<number> {
  let mined = 0;
  for (let i = 0; i < 100; i++) {
    const [latest, pending] = await Promise.all(
      ['latest', 'pending'].map((tag) => devnet.request<string>('eth_getTransactionCount', [address, tag])),
    );
    if (latest === pending) break;
    await devnet.mine(1);
    mined++;
  }
  await devnet.mine(confirmations);
  return mined + confirmations;
}
