import {
  type ContractRet,
  type Execution,
  executeTransaction,
  type FailureKind,
  type TxInfo,
} from './execute.js';
import { Refusal } from './fees.js';
import { BLOCK_VERSION, genesisBlock } from './genesis.js';
import { type DevnetKey, quickstartKeys, WITNESS, WITNESS_B } from './keys.js';
import { type BroadcastOutcome, PendingPool } from './pending.js';
import type { Clock } from './resources.js';
import { type Journal, State, type StateReader } from './state.js';
import { type TransferEvent, transferEvents } from './trongrid.js';
import {
  blockIdOf,
  CONTRACT_RET,
  headerHash,
  merkleRoot,
  type RefBlock,
  signDigest,
  type TxJson,
  transactionLeaf,
} from './tx.js';

export interface Included {
  tx: TxJson;
  contractRet: ContractRet;
  info: TxInfo;
}

export interface Block {
  number: number;
  blockID: string;
  parentHash: string;
  timestamp: number;
  witness: string;
  txTrieRoot: string;
  version: number;
  witnessSignature?: string;
  txs: Included[];
  journal: Journal;
}

export type { BroadcastOutcome } from './pending.js';

export interface ChainOptions {
  solidDepth: number;
  clock: () => number;
  maxBlockTransactions: number;
  /** Mine a block right after every accepted broadcast (before the broadcast answers). */
  autoMine: boolean;
  /** Accounts funded at genesis for tronweb's own tests (tron-quickstart's /admin/accounts-json). */
  quickstartAccounts?: number;
  /** The network's stake at genesis, TRX (default mainnet's: TotalNetWeight, TotalEnergyWeight). */
  networkStakeTrx?: { net: number; energy: number };
  /** How long an unfreezing takes (default 14 days, mainnet's getUnfreezeDelayDays). */
  unfreezeDelayMs?: number;
}

export class Chain {
  readonly blocks: Block[] = [];
  readonly transfers: TransferEvent[] = [];
  readonly state = new State();
  /** Transactions of orphaned blocks that a reorg did not re-include; `reincludeOrphans()` queues them. */
  orphans: TxJson[] = [];
  readonly pending: PendingPool;
  readonly quickstart: DevnetKey[];
  private readonly txIndex = new Map<string, { block: number; index: number }>();
  private timeOffsetMs = 0;

  constructor(readonly options: ChainOptions) {
    const time = this.now();
    this.pending = new PendingPool({
      state: this.state,
      clock: () => this.clock(),
      taposOk: (tx) => this.taposOk(tx),
      included: (txid) => this.txIndex.has(txid),
    });
    this.quickstart = quickstartKeys(options.quickstartAccounts ?? 0);
    this.blocks.push(genesisBlock(this.state, options, this.quickstart, time));
  }

  now(): number {
    return this.options.clock() + this.timeOffsetMs;
  }

  advanceTime(ms: number): void {
    this.timeOffsetMs += ms;
  }

  head(): Block {
    return this.blocks[this.blocks.length - 1] as Block;
  }

  /** The time transactions execute at: the head block's, as java-tron's latest block header timestamp. */
  clock(): Clock {
    const genesisMs = (this.blocks[0] as Block).timestamp;
    return { headMs: this.head().timestamp, genesisMs, unfreezeDelayMs: this.options.unfreezeDelayMs };
  }

  solidNumber(): number {
    return Math.max(0, this.head().number - this.options.solidDepth);
  }

  /** The highest block number visible to the full node (head) or the solidity node (solid head). */
  top(solid: boolean): number {
    return solid ? this.solidNumber() : this.head().number;
  }

  block(n: number, solid = false): Block | undefined {
    return Number.isInteger(n) && n >= 0 && n <= this.top(solid) ? this.blocks[n] : undefined;
  }

  blockById(id: string, solid = false): Block | undefined {
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
    const b = this.block(Number.parseInt(id.slice(0, 16), 16), solid);
    return b?.blockID === id ? b : undefined;
  }

  findTx(txid: string, solid = false): { block: Block; included: Included; index: number } | undefined {
    const at = this.txIndex.get(txid);
    const block = at && this.block(at.block, solid);
    const included = block?.txs[at?.index ?? -1];
    return block && included && at ? { block, included, index: at.index } : undefined;
  }

  /**
   * State as the full node sees it (head plus the pending transactions, as java-tron's API reads it) or
   * the solidity node (the solidified head).
   */
  reader(solid: boolean): StateReader {
    if (!solid) return this.state;
    const above = this.blocks.slice(this.solidNumber() + 1).map((b) => b.journal);
    return this.state.viewBefore([...above, this.state.openJournal()]);
  }

  /** The solidified head's clock (solidity-node answers that depend on time). */
  solidClock(): Clock {
    return { ...this.clock(), headMs: (this.blocks[this.solidNumber()] as Block).timestamp };
  }

  /** Reference block and expiration the node puts into transactions it builds (head block, 60 s). */
  refBlock(): RefBlock {
    const h = this.head();
    return {
      ref_block_bytes: (h.number & 0xffff).toString(16).padStart(4, '0'),
      ref_block_hash: h.blockID.slice(16, 32),
      expiration: h.timestamp + 60_000,
      timestamp: this.now(),
    };
  }

  pendingCount(): number {
    return this.pending.txs.length;
  }

  failTransaction(txid: string, kind: FailureKind): void {
    this.pending.forced.set(txid, kind);
  }

  failNextContractCall(kind: FailureKind): void {
    this.pending.failNextCalls.push(kind);
  }

  /**
   * java-tron's broadcastTransaction: checks, then execution on the pending state (pending.ts). `trusted`
   * skips the signature recovery (the devnet's own controls sign with the owner's key).
   */
  broadcast(tx: TxJson, opts: { trusted?: boolean; skipTapos?: boolean } = {}): BroadcastOutcome {
    const r = this.pending.broadcast(tx, opts);
    if (r.ok && this.options.autoMine) this.mine(1);
    return r;
  }

  taposOk(tx: TxJson): boolean {
    const refNum = Number.parseInt(tx.raw_data.ref_block_bytes, 16);
    const h = this.head().number;
    if (!Number.isInteger(refNum)) return false;
    const n = h - ((((h - refNum) % 65_536) + 65_536) % 65_536);
    return this.blocks[n]?.blockID.slice(16, 32) === tx.raw_data.ref_block_hash;
  }

  /** Produces n blocks, each with up to maxBlockTransactions pending transactions. */
  mine(n = 1): Block[] {
    const out: Block[] = [];
    for (let i = 0; i < n; i++) {
      this.state.rollbackTo(0);
      const txs = this.pending.take(this.options.maxBlockTransactions);
      out.push(
        this.produce(
          WITNESS,
          txs.filter((t) => this.pending.packable(t)),
        ),
      );
      this.pending.reapply();
    }
    return out;
  }

  /**
   * Replaces the last k blocks (all above the solidified head) with `newBlocks` blocks signed by another
   * witness. The orphaned transactions go into the first replacement block (`reincludeTransactions`) or to
   * `orphans`; either way they may be broadcast again.
   */
  reorg(k: number, opts: { reincludeTransactions?: boolean; newBlocks?: number } = {}) {
    const above = this.head().number - this.solidNumber();
    if (!Number.isInteger(k) || k < 1 || k > above) {
      throw new RangeError(`reorg depth must be 1..${above} (blocks above the solidified head), got ${k}`);
    }
    this.state.rollbackTo(0);
    const dropped = this.blocks.splice(this.blocks.length - k, k);
    for (const b of [...dropped].reverse()) this.state.revert(b.journal);
    const txs = dropped.flatMap((b) => b.txs.map((t) => t.tx));
    for (const t of txs) {
      this.txIndex.delete(t.txID);
      this.pending.seen.delete(t.txID);
    }
    while ((this.transfers.at(-1)?.blockNumber ?? -1) > this.head().number) this.transfers.pop();
    const newBlocks = opts.newBlocks ?? k;
    if (!opts.reincludeTransactions || newBlocks === 0) this.orphans.push(...txs);
    const replaced: Block[] = [];
    for (let i = 0; i < newBlocks; i++) {
      replaced.push(this.produce(WITNESS_B, i === 0 && opts.reincludeTransactions ? txs : []));
    }
    this.pending.reapply();
    return {
      dropped: dropped.map((b) => ({ number: b.number, blockID: b.blockID })),
      added: replaced.map((b) => ({ number: b.number, blockID: b.blockID })),
      txids: txs.map((t) => t.txID),
    };
  }

  /**
   * Changes the state outside any transaction (a devnet control such as setEnergyFactor): the writes join
   * the head block's journal, so a reorg of that block undoes them and the solidity node sees them once
   * the block is solid. The pending transactions run again on top.
   */
  amendHead(change: (state: State) => void): void {
    this.state.rollbackTo(0);
    change(this.state);
    this.head().journal.push(...this.state.takeJournal());
    this.pending.reapply();
  }

  /** Queues the orphaned transactions for the next block (no TAPOS check; still dropped once expired). */
  reincludeOrphans(): string[] {
    const txs = this.orphans.filter((t) => !this.txIndex.has(t.txID));
    this.orphans = [];
    return this.pending.requeue(txs).map((t) => t.txID);
  }

  /** Executes `candidates` into a new block on the head (the pending writes must have been rolled back). */
  private produce(witness: DevnetKey, candidates: TxJson[]): Block {
    const parent = this.head();
    const number = parent.number + 1;
    const timestamp = Math.max(this.now(), parent.timestamp + 1);
    const clock = this.clock();
    const txs: Included[] = [];
    for (const tx of candidates) {
      if (this.txIndex.has(tx.txID)) continue;
      const exec = tx.raw_data.expiration > timestamp ? this.execute(tx, clock) : undefined;
      if (!exec) {
        // java-tron drops a transaction that expired while pending or no longer runs
        this.pending.seen.delete(tx.txID);
        continue;
      }
      exec.info.blockNumber = number;
      exec.info.blockTimeStamp = timestamp;
      txs.push({ tx, contractRet: exec.contractRet, info: exec.info });
    }
    const journal = this.state.takeJournal();
    const txTrieRoot = merkleRoot(txs.map((t) => transactionLeaf(t.tx, CONTRACT_RET[t.contractRet] ?? 0)));
    const header = {
      number,
      txTrieRoot,
      witness_address: witness.addressHex,
      parentHash: parent.blockID,
      version: BLOCK_VERSION,
      timestamp,
    };
    const hash = headerHash(header);
    const block: Block = {
      ...header,
      blockID: blockIdOf(number, hash),
      witness: witness.addressHex,
      witnessSignature: signDigest(hash, witness.privateKey),
      txs,
      journal,
    };
    this.blocks.push(block);
    txs.forEach((t, index) => {
      this.txIndex.set(t.tx.txID, { block: number, index });
      this.transfers.push(...transferEvents(t, number, index, timestamp));
    });
    return block;
  }

  private execute(tx: TxJson, clock: Clock): Execution | undefined {
    try {
      return executeTransaction(this.state, tx, clock, this.pending.forced.get(tx.txID));
    } catch (err) {
      if (err instanceof Refusal) return undefined;
      throw err;
    }
  }
}

export type { ContractRet, TxInfo };
