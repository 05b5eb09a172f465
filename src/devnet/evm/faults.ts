/**
 * Faults and provider limits in front of the Hardhat Network provider, so scanners meet what public RPC
 * providers do: HTTP 429/503, slow answers, and eth_getLogs refused when a range is too wide or returns too
 * many logs (JSON-RPC error -32005, Infura's code; Alchemy, Ankr and BSC nodes answer alike with other codes);
 * and a token transfer that is mined but reverts (`revert.ts`).
 */
import { ProviderError } from 'hardhat/internal/core/providers/errors.js';

export type EvmFaultKind = '429' | '503' | 'slow' | 'limit' | 'revert';

export interface EvmFaultSpec {
  /**
   * JSON-RPC method (`eth_getLogs`) or a pattern. Absent: any method except `devnet_*` for 429/503/slow, and
   * `eth_getLogs` for 'limit'. An HTTP batch matches when any of its calls does.
   */
  method?: string | RegExp;
  /**
   * '429': HTTP 429 with Alchemy's body (ethers retries 429 by itself, up to 12 attempts with backoff).
   * '503': HTTP 503 with an nginx HTML page. 'slow': answer normally after delayMs.
   * 'limit': that call alone fails with -32005 "query returned more than 10000 results".
   * 'revert': the next transaction `from` sends to one of the devnet's tokens (eth_sendRawTransaction) is mined
   * and reverts: status 0, no log, its gas burned up to the revert, as when a token refuses a transfer (see
   * revert.ts). Needs automine.
   */
  kind: EvmFaultKind;
  /** For 'revert': the sender (any case). */
  from?: string;
  /**
   * How many matching requests (HTTP requests; calls for 'limit'; transactions for 'revert') get the fault
   * (default 1; Infinity allowed).
   */
  times?: number;
  /** For 'slow' (default 2 000 ms). */
  delayMs?: number;
}

interface ActiveFault extends EvmFaultSpec {
  id: number;
  remaining: number;
}

const HTTP_KINDS = new Set<EvmFaultKind>(['429', '503', 'slow']);

export class Faults {
  private list: ActiveFault[] = [];
  private nextId = 1;

  inject(spec: EvmFaultSpec): number {
    if (!['429', '503', 'slow', 'limit', 'revert'].includes(spec.kind))
      throw new TypeError(`unknown fault ${spec.kind}`);
    if (spec.kind === 'revert' && !/^0x[0-9a-fA-F]{40}$/.test(spec.from ?? ''))
      throw new TypeError('a revert fault needs `from`, the sender address');
    const id = this.nextId++;
    this.list.push({ ...spec, id, remaining: spec.times ?? 1 });
    return id;
  }

  clear(id?: number): void {
    this.list = id === undefined ? [] : this.list.filter((f) => f.id !== id);
  }

  /** Whether any 429/503/slow fault is pending (the server then reads the methods of a request). */
  hasHttp(): boolean {
    return this.list.some((f) => HTTP_KINDS.has(f.kind));
  }

  /** The first HTTP-level fault matching any of these methods, consumed once. */
  takeHttp(methods: string[]): ActiveFault | undefined {
    return this.take((f) => HTTP_KINDS.has(f.kind) && methods.some((m) => matches(f, m)));
  }

  /** A 'limit' fault for this call, consumed once. */
  takeCall(method: string): ActiveFault | undefined {
    if (this.list.length === 0) return undefined;
    return this.take((f) => f.kind === 'limit' && matches(f, method));
  }

  /** Whether any 'revert' fault is pending (eth_sendRawTransaction then decodes the transaction's sender). */
  hasRevert(): boolean {
    return this.list.some((f) => f.kind === 'revert');
  }

  /** A 'revert' fault for a transaction sent by `from`, consumed once. */
  takeRevert(from: string): ActiveFault | undefined {
    const sender = from.toLowerCase();
    return this.take((f) => f.kind === 'revert' && f.from?.toLowerCase() === sender);
  }

  private take(pred: (f: ActiveFault) => boolean): ActiveFault | undefined {
    const f = this.list.find(pred);
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.list = this.list.filter((x) => x !== f);
    return f;
  }
}

function matches(f: EvmFaultSpec, method: string): boolean {
  if (f.method === undefined)
    return f.kind === 'limit' ? method === 'eth_getLogs' : !method.startsWith('devnet_');
  return typeof f.method === 'string' ? f.method === method : f.method.test(method);
}

/** -32005 like Infura; `data` (from, to, limit) lands in the answer's error.data.data. */
export function limitError(message: string, data?: Record<string, unknown>): ProviderError {
  const err = new ProviderError(message, -32005);
  if (data) err.data = data;
  return err;
}

export interface LogsLimits {
  maxLogsBlockRange?: number;
  maxLogsResults?: number;
}

type Request = (method: string, params?: unknown[]) => Promise<unknown>;

const hex = (n: number) => `0x${n.toString(16)}`;

async function blockOf(tag: unknown, request: Request): Promise<number> {
  if (typeof tag === 'string' && /^0x[0-9a-f]+$/i.test(tag)) return Number.parseInt(tag, 16);
  if (tag === 'earliest') return 0;
  return Number.parseInt((await request('eth_blockNumber')) as string, 16); // latest, pending, safe, finalized
}

/**
 * eth_getLogs under provider limits: a range wider than maxLogsBlockRange is refused before it runs; a
 * result longer than maxLogsResults is refused with a suggested narrower range, as Infura does.
 */
export async function limitedGetLogs(
  params: unknown[],
  limits: LogsLimits,
  request: Request,
): Promise<unknown> {
  const filter = (params[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown };
  const { maxLogsBlockRange: maxRange, maxLogsResults: maxResults } = limits;
  if (maxRange !== undefined && filter.blockHash === undefined) {
    const from = await blockOf(filter.fromBlock ?? 'latest', request);
    const to = await blockOf(filter.toBlock ?? 'latest', request);
    if (to - from + 1 > maxRange) {
      throw limitError(
        `block range is too wide: [${hex(from)}, ${hex(to)}] spans ${to - from + 1} blocks, the limit is ${maxRange}`,
        { from: hex(from), to: hex(to), limit: maxRange },
      );
    }
  }
  const logs = (await request('eth_getLogs', params)) as { blockNumber: string }[];
  if (maxResults !== undefined && logs.length > maxResults) {
    const from = await blockOf(filter.fromBlock ?? 'latest', request);
    const cut = Number.parseInt(logs[maxResults]!.blockNumber, 16); // the block holding the first log too many
    const to = Math.max(from, cut - 1);
    throw limitError(
      `query returned more than ${maxResults} results. Try with this block range [${hex(from)}, ${hex(to)}].`,
      { from: hex(from), to: hex(to), limit: maxResults },
    );
  }
  return logs;
}
