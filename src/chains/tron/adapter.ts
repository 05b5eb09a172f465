import { TronWeb } from 'tronweb';
import type { NetworkConfig } from '../registry.js';
import {
  type BlockRef,
  type ChainAdapter,
  ChainUnavailableError,
  type ObservedTransfer,
  type ScanResult,
  type UnexpectedFunds,
} from '../types.js';
import { tronPost } from './http.js';
import { type RawBlockHeader, readBlock } from './node-json.js';

// Scans TRON through the full node's HTTP API (shapes: shared/fixtures/tron/README.md). Blocks come 100 at
// a time from getblockbylimitnext; a block holding contract calls is read once more with
// gettransactioninfobyblocknum, whose logs show every TRC20 Transfer, internal ones included, with the
// transaction's result. Only Transfer logs of the configured contract in SUCCESS transactions count.

const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
export const MAX_RANGE = 100;

interface RawBlock extends RawBlockHeader {
  transactions?: {
    txID: string;
    ret?: { contractRet?: string }[];
    raw_data?: { contract?: { type?: string; parameter?: { value?: Record<string, unknown> } }[] };
  }[];
}

interface RawInfo {
  id: string;
  blockNumber?: number;
  blockTimeStamp?: number;
  result?: string;
  receipt?: { result?: string };
  log?: { address?: string; topics?: string[]; data?: string }[];
}

function hexToTron(hex20: string): string {
  return TronWeb.address.fromHex(`41${hex20}`);
}

export class TronAdapter implements ChainAdapter {
  readonly maxRange = MAX_RANGE;

  constructor(private readonly net: NetworkConfig) {}

  private call<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    return tronPost<T>(this.net, path, body, (m) => new ChainUnavailableError(m));
  }

  /** The block's reference; `{}` or a block contradicting its own id throws (retry on the next pass). */
  private toRef(b: RawBlock): BlockRef {
    const ref = readBlock(b, (m) => new ChainUnavailableError(m));
    if (!ref) throw new ChainUnavailableError('the node answered no block');
    return ref;
  }

  async head(): Promise<number> {
    const b = await this.call<RawBlock>('/wallet/getnowblock');
    return this.toRef(b).number; // `{}` at the head throws ChainUnavailableError: retry later
  }

  async finalizedHead(): Promise<number | null> {
    const b = await this.call<RawBlock>('/walletsolidity/getnowblock');
    return b.blockID ? this.toRef(b).number : null;
  }

  async blockHash(number: number): Promise<string | null> {
    const b = await this.call<RawBlock>('/wallet/getblockbynum', { num: number });
    return b.blockID ?? null;
  }

  async scanRange(from: number, to: number, watched: ReadonlySet<string>): Promise<ScanResult> {
    if (to < from) return { blocks: [], transfers: [], unexpected: [] };
    if (to - from + 1 > MAX_RANGE) throw new Error(`range of ${to - from + 1} blocks is above ${MAX_RANGE}`);
    const res = await this.call<{ block?: RawBlock[] }>('/wallet/getblockbylimitnext', {
      startNum: from,
      endNum: to + 1,
    });
    const raw = (res.block ?? []).slice().sort((a, b) => this.toRef(a).number - this.toRef(b).number);
    const blocks = raw.map((b) => this.toRef(b));
    // A node answering fewer blocks than asked (not produced yet, or pruned) must not let the cursor jump.
    if (blocks.length !== to - from + 1 || blocks.some((b, i) => b.number !== from + i)) {
      throw new ChainUnavailableError(
        `getblockbylimitnext(${from}, ${to + 1}) answered ${blocks.length} blocks`,
      );
    }
    const transfers: ObservedTransfer[] = [];
    const unexpected: UnexpectedFunds[] = [];
    for (const [i, block] of raw.entries()) {
      const ref = blocks[i]!;
      let hasCalls = false;
      for (const tx of block.transactions ?? []) {
        for (const c of tx.raw_data?.contract ?? []) {
          if (c.type === 'TriggerSmartContract') hasCalls = true;
          if (c.type === 'TransferContract' && tx.ret?.[0]?.contractRet !== 'REVERT') {
            const v = c.parameter?.value ?? {};
            const to = typeof v.to_address === 'string' ? TronWeb.address.fromHex(v.to_address) : '';
            if (watched.has(to) && typeof v.amount === 'number' && v.amount > 0) {
              unexpected.push({
                txHash: tx.txID,
                logIndex: -1,
                blockNumber: ref.number,
                address: to,
                asset: 'TRX',
                amountMinor: BigInt(v.amount),
              });
            }
          }
        }
      }
      if (hasCalls && watched.size > 0)
        this.collectLogs(
          await this.call<RawInfo[]>('/wallet/gettransactioninfobyblocknum', { num: ref.number }),
          ref,
          watched,
          transfers,
          unexpected,
        );
    }
    return { blocks, transfers, unexpected };
  }

  private collectLogs(
    infos: RawInfo[] | Record<string, never>,
    ref: BlockRef,
    watched: ReadonlySet<string>,
    transfers: ObservedTransfer[],
    unexpected: UnexpectedFunds[],
  ) {
    if (!Array.isArray(infos))
      throw new ChainUnavailableError(`gettransactioninfobyblocknum(${ref.number}) answered no list`);
    for (const info of infos) {
      const success = info.result !== 'FAILED' && (info.receipt?.result ?? 'SUCCESS') === 'SUCCESS';
      if (!success) continue;
      for (const [logIndex, log] of (info.log ?? []).entries()) {
        const topics = log.topics ?? [];
        if (topics[0] !== TRANSFER_TOPIC || topics.length < 3 || !log.data) continue;
        const to = hexToTron(topics[2]!.slice(24));
        if (!watched.has(to)) continue;
        const amount = BigInt(`0x${log.data.slice(0, 64)}`);
        if (amount === 0n) continue;
        const contract = (log.address ?? '').toLowerCase().replace(/^41(?=[0-9a-f]{40}$)/, '');
        if (contract !== this.net.token.contractLogHex) {
          unexpected.push({
            txHash: info.id,
            logIndex,
            blockNumber: ref.number,
            address: to,
            asset: hexToTron(contract),
            amountMinor: amount,
          });
          continue;
        }
        transfers.push({
          txHash: info.id,
          logIndex,
          blockNumber: ref.number,
          blockHash: ref.hash,
          blockTimeMs: info.blockTimeStamp ?? ref.timestampMs,
          tokenContract: this.net.token.contract,
          from: hexToTron(topics[1]!.slice(24)),
          to,
          amountMinor: amount,
        });
      }
    }
  }
}
