import { FetchRequest, getAddress, JsonRpcProvider, Network, toBeHex, zeroPadValue } from 'ethers';
import type { NetworkConfig } from '../registry.js';
import {
  type BlockRef,
  type ChainAdapter,
  ChainUnavailableError,
  type ObservedTransfer,
  type ScanResult,
  type UnexpectedFunds,
} from '../types.js';

// Scans an EVM chain over JSON-RPC (ethers 6). Transfers to watched addresses come from eth_getLogs with
// topic0 = Transfer and topic2 = the watched addresses (in batches), over the whole range at once; when a
// provider refuses a wide query ("limit exceeded", too many results, -32005) the range is split in halves
// until it answers. Block hashes of every block in the range are read (batched) for reorg detection, and
// each matching log's receipt is checked for status 1. Several RPC URLs fail over in order.

const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const ADDRESSES_PER_FILTER = 500;
const MIN_SPLIT_RANGE = 1;
const REQUEST_TIMEOUT_MS = 10_000;

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  transactions: { hash: string; to: string | null; value: string }[];
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

function isRangeLimit(err: unknown): boolean {
  const e = err as {
    error?: { code?: number; message?: string };
    code?: number | string;
    message?: string;
    info?: { error?: { code?: number; message?: string } };
  };
  const inner = e.info?.error ?? e.error;
  const text = `${inner?.message ?? ''} ${e.message ?? ''}`.toLowerCase();
  return (
    inner?.code === -32005 ||
    /limit exceeded|too many results|more than \d+ results|block range|range is too (wide|large)|query returned more/.test(
      text,
    )
  );
}

export class EvmAdapter implements ChainAdapter {
  private readonly providers: JsonRpcProvider[];
  private current = 0;

  /** Ranges the scanner hands over (getLogs itself splits one a provider refuses as too wide). */
  readonly maxRange = 100;

  constructor(private readonly net: NetworkConfig & { rpcUrls?: string[] }) {
    const urls = net.rpcUrls?.length ? net.rpcUrls : [net.nodeUrl];
    this.providers = urls.map((u) => {
      // No hidden retries or 5-minute timeouts: a failing node ends the pass and the next pass retries.
      const req = new FetchRequest(u);
      req.timeout = REQUEST_TIMEOUT_MS;
      req.setThrottleParams({ maxAttempts: 1 });
      // A network given up front: the scanner sends raw JSON-RPC calls only (`send`), which never read it, so
      // the provider need not ask the node for its chain id. Left to detect it, a provider of a URL that does
      // not answer (a failover URL that is down) asked again every second for as long as the process lived,
      // printing "failed to detect network" each time.
      const network = new Network(this.net.chain, this.net.chainId ?? 0);
      return new JsonRpcProvider(req, network, {
        cacheTimeout: -1,
        pollingInterval: 50,
        staticNetwork: network,
        // ethers waits 10 ms to gather each batch; our calls are already grouped, so send at once.
        batchStallTime: 0,
      });
    });
  }

  /** Stops its providers (their timers and sockets). */
  close(): void {
    for (const p of this.providers) p.destroy();
  }

  /** Runs a call on the current provider, failing over to the next ones; range limits are not failures. */
  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[(this.current + i) % this.providers.length]!;
      try {
        const out = (await p.send(method, params)) as T;
        this.current = (this.current + i) % this.providers.length;
        return out;
      } catch (err) {
        if (isRangeLimit(err)) throw err;
        last = err;
      }
    }
    throw new ChainUnavailableError(`${method}: ${(last as Error)?.message ?? 'no provider answered'}`);
  }

  async head(): Promise<number> {
    return Number(await this.rpc<string>('eth_blockNumber', []));
  }

  async finalizedHead(): Promise<number | null> {
    try {
      const b = await this.rpc<RpcBlock | null>('eth_getBlockByNumber', ['finalized', false]);
      return b ? Number(b.number) : null;
    } catch {
      return null;
    }
  }

  async blockHash(number: number): Promise<string | null> {
    const b = await this.rpc<RpcBlock | null>('eth_getBlockByNumber', [toBeHex(number), false]);
    return b?.hash ?? null;
  }

  async scanRange(from: number, to: number, watched: ReadonlySet<string>): Promise<ScanResult> {
    if (to < from) return { blocks: [], transfers: [], unexpected: [] };
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const raw = await Promise.all(
      numbers.map((n) => this.rpc<RpcBlock | null>('eth_getBlockByNumber', [toBeHex(n), watched.size > 0])),
    );
    if (raw.some((b) => !b))
      throw new ChainUnavailableError(`blocks ${from}..${to} are not all available yet`);
    const blocks: BlockRef[] = raw.map((b) => ({
      number: Number(b!.number),
      hash: b!.hash,
      parentHash: b!.parentHash,
      timestampMs: Number(b!.timestamp) * 1000,
    }));
    const byNumber = new Map(blocks.map((b) => [b.number, b]));
    const transfers: ObservedTransfer[] = [];
    const unexpected: UnexpectedFunds[] = [];
    if (watched.size === 0) return { blocks, transfers, unexpected };
    for (const b of raw) {
      for (const tx of b!.transactions) {
        if (tx.to && BigInt(tx.value) > 0n && watched.has(getAddress(tx.to))) {
          unexpected.push({
            txHash: tx.hash,
            logIndex: -1,
            blockNumber: Number(b!.number),
            address: getAddress(tx.to),
            asset: 'native',
            amountMinor: BigInt(tx.value),
          });
        }
      }
    }
    const list = [...watched];
    const token = this.net.token.contract.toLowerCase();
    for (let i = 0; i < list.length; i += ADDRESSES_PER_FILTER) {
      const topics = [
        TRANSFER_TOPIC,
        null,
        list.slice(i, i + ADDRESSES_PER_FILTER).map((a) => zeroPadValue(a, 32).toLowerCase()),
      ];
      for (const log of await this.logs(from, to, topics)) {
        if (log.removed) continue;
        const amount = log.data && log.data !== '0x' ? BigInt(log.data.slice(0, 66)) : 0n;
        if (amount === 0n || log.topics.length < 3) continue;
        const toAddr = getAddress(`0x${log.topics[2]!.slice(26)}`);
        const blockNumber = Number(log.blockNumber);
        const logIndex = Number(log.logIndex);
        if (log.address.toLowerCase() !== token) {
          unexpected.push({
            txHash: log.transactionHash,
            logIndex,
            blockNumber,
            address: toAddr,
            asset: getAddress(log.address),
            amountMinor: amount,
          });
          continue;
        }
        const receipt = await this.rpc<{ status: string } | null>('eth_getTransactionReceipt', [
          log.transactionHash,
        ]);
        if (!receipt || Number(receipt.status) !== 1) continue;
        transfers.push({
          txHash: log.transactionHash,
          logIndex,
          blockNumber,
          blockHash: log.blockHash,
          blockTimeMs: byNumber.get(blockNumber)?.timestampMs ?? Date.now(),
          tokenContract: this.net.token.contract,
          from: getAddress(`0x${log.topics[1]!.slice(26)}`),
          to: toAddr,
          amountMinor: amount,
        });
      }
    }
    return { blocks, transfers, unexpected };
  }

  /** eth_getLogs over [from, to], halving the range whenever the provider refuses it as too wide. */
  private async logs(from: number, to: number, topics: (string | string[] | null)[]): Promise<RpcLog[]> {
    try {
      return await this.rpc<RpcLog[]>('eth_getLogs', [
        { fromBlock: toBeHex(from), toBlock: toBeHex(to), topics },
      ]);
    } catch (err) {
      if (!isRangeLimit(err)) throw err;
      if (to - from + 1 <= MIN_SPLIT_RANGE)
        throw new ChainUnavailableError(`eth_getLogs refuses even block ${from}`);
      const mid = Math.floor((from + to) / 2);
      return [...(await this.logs(from, mid, topics)), ...(await this.logs(mid + 1, to, topics))];
    }
  }
}
