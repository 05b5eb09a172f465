import { mint, TOKENS } from './contracts.js';
import {
  type ContractRet,
  createAccount,
  type Execution,
  executeTransaction,
  type FailureKind,
  type TxInfo,
  validateContract,
} from './execute.js';
import {
  type DevnetKey,
  FAUCET,
  FAUCET_TOKEN_UNITS,
  FAUCET_TRX_SUN,
  hexToBase58,
  WITNESS,
  WITNESS_B,
} from './keys.js';
import { type Journal, State, type StateReader } from './state.js';
import { type TransferEvent, transferEvents } from './trongrid.js';
import {
  blockIdOf,
  CONTRACT_RET,
  headerHash,
  merkleRoot,
  type RefBlock,
  recoverSigner,
  sha256Hex,
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

export type BroadcastOutcome =
  | { ok: true; txid: string }
  | { ok: false; txid: string; code: string; message: string };

export interface ChainOptions {
  solidDepth: number;
  clock: () => number;
  maxBlockTransactions: number;
  /** Mine a block right after every accepted broadcast (before the broadcast answers). */
  autoMine: boolean;
}

const BLOCK_VERSION = 30;
const MAX_EXPIRATION_MS = 86_400_000;

export class Chain {
  readonly blocks: Block[] = [];
  readonly transfers: TransferEvent[] = [];
  readonly state = new State();
  /** Transactions of orphaned blocks that a reorg did not re-include; `reincludeOrphans()` queues them. */
  orphans: TxJson[] = [];
  private pending: TxJson[] = [];
  private readonly pendingIds = new Set<string>();
  private readonly txIndex = new Map<string, { block: number; index: number }>();
  private readonly broadcastCache = new Set<string>();
  private readonly forced = new Map<string, FailureKind>();
  private readonly failNextCalls: FailureKind[] = [];
  private timeOffsetMs = 0;

  constructor(readonly options: ChainOptions) {
    const time = this.now();
    createAccount(this.state, FAUCET.addressHex, FAUCET_TRX_SUN, time);
    for (const t of TOKENS) mint(this.state, t.addressHex, FAUCET.addressHex, FAUCET_TOKEN_UNITS);
    const parentHash = sha256Hex(Buffer.from('novapayments/devnet/tron/genesis'));
    const header = {
      number: 0,
      txTrieRoot: '0'.repeat(64),
      witness_address: WITNESS.addressHex,
      parentHash,
      version: BLOCK_VERSION,
      timestamp: time,
    };
    const blockID = blockIdOf(0, headerHash(header));
    this.blocks.push({
      ...header,
      blockID,
      witness: WITNESS.addressHex,
      txs: [],
      journal: this.state.takeJournal(),
    });
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

  /** State as the full node (head) or the solidity node (solid head) sees it. */
  reader(solid: boolean): StateReader {
    if (!solid) return this.state;
    return this.state.viewBefore(this.blocks.slice(this.solidNumber() + 1).map((b) => b.journal));
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
    return this.pending.length;
  }

  failTransaction(txid: string, kind: FailureKind): void {
    this.forced.set(txid, kind);
  }

  failNextContractCall(kind: FailureKind): void {
    this.failNextCalls.push(kind);
  }

  /**
   * The checks of java-tron's broadcastTransaction, in its order: tx-id cache, expiration, signature, TAPOS,
   * duplicates on chain, contract validation. `trusted` skips the signature recovery (the devnet's own controls
   * sign with the owner's key, and recovery costs ~3 ms).
   */
  broadcast(tx: TxJson, opts: { trusted?: boolean; skipTapos?: boolean } = {}): BroadcastOutcome {
    const txid = tx.txID;
    const fail = (code: string, message: string): BroadcastOutcome => ({ ok: false, txid, code, message });
    if (this.broadcastCache.has(txid)) return fail('DUP_TRANSACTION_ERROR', 'Transaction already exists.');
    const headTime = this.head().timestamp;
    const exp = tx.raw_data.expiration;
    if (exp <= headTime || exp > headTime + MAX_EXPIRATION_MS)
      return fail('TRANSACTION_EXPIRATION_ERROR', 'Transaction expired');
    const sig = tx.signature?.[0];
    if (!sig) return fail('SIGERROR', 'Validate signature error: miss sig or contract');
    const owner = String(tx.raw_data.contract[0]?.parameter.value.owner_address ?? '');
    if (!opts.trusted) {
      const signer = recoverSigner(txid, sig);
      if (!signer) return fail('SIGERROR', 'Validate signature error: signature is malformed');
      if (signer !== owner || (tx.signature?.length ?? 0) > 1) {
        return fail(
          'SIGERROR',
          `Validate signature error: ${sig} is signed by ${hexToBase58(signer)} but it is not contained of permission.`,
        );
      }
    }
    if (!opts.skipTapos && !this.taposOk(tx)) return fail('TAPOS_ERROR', 'Tapos check error.');
    if (this.txIndex.has(txid) || this.pendingIds.has(txid)) {
      return fail('DUP_TRANSACTION_ERROR', 'Dup transaction.');
    }
    const invalid = validateContract(this.state, tx);
    if (invalid) return fail('CONTRACT_VALIDATE_ERROR', `Contract validate error : ${invalid}`);
    this.pending.push(tx);
    this.pendingIds.add(txid);
    this.broadcastCache.add(txid);
    if (this.options.autoMine) this.mine(1);
    return { ok: true, txid };
  }

  private taposOk(tx: TxJson): boolean {
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
      const txs = this.pending.splice(0, this.options.maxBlockTransactions);
      for (const t of txs) this.pendingIds.delete(t.txID);
      out.push(this.produce(WITNESS, txs));
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
    const dropped = this.blocks.splice(this.blocks.length - k, k);
    for (const b of [...dropped].reverse()) this.state.revert(b.journal);
    const txs = dropped.flatMap((b) => b.txs.map((t) => t.tx));
    for (const t of txs) {
      this.txIndex.delete(t.txID);
      this.broadcastCache.delete(t.txID);
    }
    while ((this.transfers.at(-1)?.blockNumber ?? -1) > this.head().number) this.transfers.pop();
    const newBlocks = opts.newBlocks ?? k;
    if (!opts.reincludeTransactions || newBlocks === 0) this.orphans.push(...txs);
    const replaced: Block[] = [];
    for (let i = 0; i < newBlocks; i++) {
      replaced.push(this.produce(WITNESS_B, i === 0 && opts.reincludeTransactions ? txs : []));
    }
    return {
      dropped: dropped.map((b) => ({ number: b.number, blockID: b.blockID })),
      added: replaced.map((b) => ({ number: b.number, blockID: b.blockID })),
      txids: txs.map((t) => t.txID),
    };
  }

  /** Queues the orphaned transactions for the next block (no TAPOS check; still dropped once expired). */
  reincludeOrphans(): string[] {
    const txs = this.orphans.filter((t) => !this.txIndex.has(t.txID));
    this.orphans = [];
    for (const t of txs) {
      this.pending.push(t);
      this.pendingIds.add(t.txID);
    }
    return txs.map((t) => t.txID);
  }

  private produce(witness: DevnetKey, candidates: TxJson[]): Block {
    const parent = this.head();
    const number = parent.number + 1;
    const timestamp = Math.max(this.now(), parent.timestamp + 1);
    const txs: Included[] = [];
    for (const tx of candidates) {
      if (this.txIndex.has(tx.txID)) continue;
      if (tx.raw_data.expiration <= timestamp) {
        // java-tron drops transactions that expired while pending
        this.broadcastCache.delete(tx.txID);
        continue;
      }
      const isCall = tx.raw_data.contract[0]?.type === 'TriggerSmartContract';
      const forced = this.forced.get(tx.txID) ?? (isCall ? this.failNextCalls.shift() : undefined);
      const exec: Execution | undefined = executeTransaction(this.state, tx, timestamp, forced);
      if (!exec) {
        this.broadcastCache.delete(tx.txID);
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
}
