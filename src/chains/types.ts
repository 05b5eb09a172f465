// What the deposit scanner needs from a chain family (TRON now, EVM next). Amounts are bigint base units
// of the token; addresses are in the chain's own format (base58 for TRON, checksummed 0x for EVM).

export interface BlockRef {
  number: number;
  hash: string;
  parentHash: string;
  timestampMs: number;
}

/** A token Transfer log to one of our watched addresses, from a successful transaction. */
export interface ObservedTransfer {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockHash: string;
  blockTimeMs: number;
  tokenContract: string;
  from: string;
  to: string;
  amountMinor: bigint;
}

/** Something else that reached a watched address: the native coin, or another token's Transfer. */
export interface UnexpectedFunds {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  address: string;
  asset: string;
  amountMinor: bigint;
}

export interface ScanResult {
  blocks: BlockRef[];
  transfers: ObservedTransfer[];
  unexpected: UnexpectedFunds[];
}

export interface ChainAdapter {
  /** The most blocks one scanRange call may cover. */
  readonly maxRange: number;
  /** Height of the latest block. */
  head(): Promise<number>;
  /** Height of the latest irreversible block (TRON: solidified; EVM: `finalized`), when the chain says. */
  finalizedHead(): Promise<number | null>;
  /** The hash of block `number`, or null when the chain does not have it (yet). */
  blockHash(number: number): Promise<string | null>;
  /** Every block in [from, to] with the transfers of interest to watched addresses. */
  scanRange(from: number, to: number, watched: ReadonlySet<string>): Promise<ScanResult>;
}

/** The node failed or answered nonsense: back off and retry without moving the cursor. */
export class ChainUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainUnavailableError';
  }
}
