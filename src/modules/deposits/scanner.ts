import type { NetworkConfig } from '../../chains/registry.js';
import { type ChainAdapter, ChainUnavailableError } from '../../chains/types.js';
import type { Pool } from '../../db/database.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type ChainStore, ReorgDetected } from './chain-store.js';
import type { DepositCrediting } from './crediting.js';

// One pass of a chain's deposit scanner. Exclusive per chain across every worker (a PostgreSQL advisory
// lock). The cursor moves only in the transaction that stores a fully processed range; a reorg found by
// re-reading recent block hashes rolls observations back to the fork and rescans; provider errors end the
// pass without moving anything. Credits happen once a transfer's block is deep enough (or finalized).

export interface ScanPass {
  skipped?: boolean;
  head?: number;
  cursor?: number;
  scannedBlocks: number;
  credited: number;
  reorgAt?: number;
  error?: string;
}

export interface RescanResult {
  chain: string;
  from: number;
  /** The last block rescanned: `to`, or the head when `to` was above it or not given. */
  to: number;
  head: number;
  scannedBlocks: number;
  /** Token transfers to deposit addresses found in the range (new or already known). */
  transfers: number;
  /** Deposits credited by this run (0 when everything found had been credited already). */
  credited: number;
}

const REORG_CHECK_DEPTH = 64;
/** Credits submitted at once; the ledger batches them (LEDGER_MAX_BATCH per transaction). */
const CREDIT_CHUNK = 500;

export class ChainScanner {
  constructor(
    private readonly net: NetworkConfig,
    private readonly adapter: ChainAdapter,
    private readonly store: ChainStore,
    private readonly crediting: DepositCrediting,
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly opts: {
      maxRangesPerPass: number;
      initialLookback: number;
      /**
       * Where the pass's lock connection comes from. Its own pool (openDepositScanners): a pass holds that
       * connection while it queries through `pool`, so drawing both from one pool can use it up with lock
       * holders that all wait for a second connection.
       */
      lockPool?: Pool;
    },
  ) {}

  get chain(): string {
    return this.net.chain;
  }

  async pass(): Promise<ScanPass> {
    const lock = await (this.opts.lockPool ?? this.pool).connect();
    try {
      const got = await lock.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [
        `chain-scan:${this.chain}`,
      ]);
      if (!got.rows[0]?.ok) return { skipped: true, scannedBlocks: 0, credited: 0 };
      try {
        return await this.run();
      } catch (err) {
        if (err instanceof ChainUnavailableError) {
          this.log.warn(
            { chain: this.chain, err: err.message },
            'chain node unavailable; retrying on the next pass',
          );
          return { scannedBlocks: 0, credited: 0, error: err.message };
        }
        throw err;
      } finally {
        await lock.query('select pg_advisory_unlock(hashtext($1))', [`chain-scan:${this.chain}`]);
      }
    } finally {
      lock.release();
    }
  }

  private async run(): Promise<ScanPass> {
    const head = await this.adapter.head();
    const finalized = await this.adapter.finalizedHead().catch(() => null);
    const initial = Math.max(0, head - this.opts.initialLookback);
    await this.store.setHead(this.chain, head, initial);
    const reorgAt = await this.checkReorg(head, initial);
    let cursor = (await this.store.cursor(this.chain)) ?? initial;
    const watched = await this.store.watched(this.chain);
    let scannedBlocks = 0;
    for (let ranges = 0; cursor <= head && ranges < this.opts.maxRangesPerPass; ranges++) {
      const to = Math.min(head, cursor + this.adapter.maxRange - 1);
      const result = await this.adapter.scanRange(cursor, to, watched);
      try {
        await this.store.record(this.chain, result, to + 1);
      } catch (err) {
        if (!(err instanceof ReorgDetected)) throw err;
        await this.checkReorg(head, initial);
        break;
      }
      scannedBlocks += to - cursor + 1;
      cursor = to + 1;
    }
    await this.store.updateConfirmations(this.chain, head);
    const credited = await this.creditConfirmed(head, finalized);
    return { head, cursor, scannedBlocks, credited, ...(reorgAt !== null ? { reorgAt } : {}) };
  }

  /**
   * Rescans blocks [from, to] (to: the head when null) through the scanner's own path: the
   * adapter reads each 100-block range, the store records what it found, and the confirmed transfers it
   * found are credited (only those, each in the block it was found in). Idempotent: transfers are keyed by (chain, tx hash, log index) and a credit happens once, so
   * a rescan of blocks already scanned changes nothing. The cursor and the reorg window are not touched
   * (the live scanner owns them), and a transfer counts only if its block is within its deposit's watch
   * window, as it would have for the live scanner. Unconfirmed blocks the live scanner has not reached (or
   * recorded with another hash) are read but not recorded: they are the live scanner's, which follows their
   * reorganisations (ChainStore.recordRescanned). Safe while scanners run. A block above the node's head
   * is refused (ValidationError, nothing scanned): the node is behind or serves another network, and a
   * rescan that read nothing must not report "0 transfers seen" as if the range had been looked at.
   */
  async rescan(
    from: number,
    to: number | null,
    onProgress?: (done: number, total: number) => void,
  ): Promise<RescanResult> {
    const head = await this.adapter.head();
    for (const [block, param] of [
      [from, 'from'],
      [to, 'to'],
    ] as const) {
      if (block !== null && block > head)
        throw new ValidationError(
          `block ${block} is above the node's head (block ${head}): nothing was scanned. The node has not reached it: wait for it, or check that it serves the right network`,
          param,
        );
    }
    const finalized = await this.adapter.finalizedHead().catch(() => null);
    const last = to ?? head;
    const windows = await this.store.watchWindows(this.chain);
    const watched = new Set(windows.keys());
    const total = Math.max(0, last - from + 1);
    let transfers = 0;
    // What this run found where it found it: it credits these only (creditConfirmed's `only`).
    const found = new Set<string>();
    onProgress?.(0, total);
    for (let start = from; start <= last; start += this.adapter.maxRange) {
      const end = Math.min(last, start + this.adapter.maxRange - 1);
      const result = await this.adapter.scanRange(start, end, watched);
      const inWindow = result.transfers.filter((t) => {
        const until = windows.get(t.to);
        return until !== undefined && t.blockTimeMs <= until.getTime();
      });
      await this.store.recordRescanned(
        this.chain,
        { ...result, transfers: inWindow },
        this.confirmedHeight(head, finalized),
      );
      transfers += inWindow.length;
      for (const t of inWindow) found.add(`${t.txHash}:${t.logIndex}:${t.blockHash}`);
      onProgress?.(end - from + 1, total);
    }
    await this.store.updateConfirmations(this.chain, head);
    // Only what it found, in the block it found it in. Another transfer waiting may be in a block the chain has
    // replaced since the live scanner saw it: the live scanner rolls that back (its reorg check) before it credits.
    const credited = await this.creditConfirmed(head, finalized, (t) =>
      found.has(`${t.tx_hash}:${t.log_index}:${t.block_hash}`),
    );
    return { chain: this.chain, from, to: last, head, scannedBlocks: total, transfers, credited };
  }

  /**
   * Compares stored recent hashes with the chain's; on a mismatch rolls back to the last common block. A node
   * that has not reached our last block yet but has the ones below it is behind (a lagging replica): wait
   * for it. A node with none of the recent blocks serves another chain: an in-process devnet replaced by a
   * restart (scan the new one from its start), or a node on the wrong network (an error for ops; nothing
   * is rolled back).
   */
  private async checkReorg(head: number, initial: number): Promise<number | null> {
    const recent = await this.store.recentBlocks(this.chain, REORG_CHECK_DEPTH);
    const top = recent[0];
    if (!top || (await this.adapter.blockHash(top.number)) === top.hash) return null;
    // The newest block the node has, of those we recorded, decides: the same hash means the node is only
    // behind us; another hash (or none at all) means the chain changed.
    let fork: number | null = null;
    let newest = true;
    for (const b of recent.slice(1)) {
      if (b.number > head) continue;
      if ((await this.adapter.blockHash(b.number)) === b.hash) {
        if (newest && top.number > head) return null;
        fork = b.number;
        break;
      }
      newest = false;
    }
    if (fork === null && this.net.devnet) {
      await this.store.restartAt(this.chain, initial);
      this.log.info(
        { chain: this.chain, from: initial },
        'the devnet is a new chain (restarted): scanning it from its start',
      );
      return initial - 1;
    }
    if (fork === null) {
      this.log.error(
        { chain: this.chain, lastBlock: top.number, head },
        `the node has none of the last ${recent.length} blocks scanned: is it on the right network? Nothing was rolled back`,
      );
      return null;
    }
    const orphaned = await this.store.rollback(this.chain, fork);
    this.log.warn({ chain: this.chain, fork, orphaned }, 'chain reorganisation: rolled back and rescanning');
    return fork;
  }

  /** The highest block deep enough to credit: `confirmations` blocks, its own included, or finalized. */
  private confirmedHeight(head: number, finalized: number | null): number {
    return Math.max(head - this.net.confirmations + 1, finalized ?? -1);
  }

  private async creditConfirmed(
    head: number,
    finalized: number | null,
    only: (t: { tx_hash: string; log_index: number; block_hash: string }) => boolean = () => true,
  ): Promise<number> {
    const confirmedHeight = this.confirmedHeight(head, finalized);
    // Payments of merchants whose rate is 0 wait, seen and uncredited: a later pass (this same query) credits
    // them once the rate is set again. Left out of the query, so that they never fill its limit.
    const byMerchant = await this.store.uncreditedByMerchant(this.chain, confirmedHeight);
    if (byMerchant.size === 0) return 0;
    const waiting = await this.crediting.waitingForRate(byMerchant);
    const ready = (
      await this.store.uncredited(this.chain, { upTo: confirmedHeight, exceptMerchants: waiting })
    ).filter(only);
    if (ready.length === 0) return 0;
    const byId = await this.store.depositsByIds([...new Set(ready.map((t) => t.deposit_id))]);
    // Handed over together: the ledger batcher commits many credits per transaction, and each
    // transaction checks and books its credits with set-based SQL (DepositCrediting.creditMany).
    let credited = 0;
    for (let i = 0; i < ready.length; i += CREDIT_CHUNK) {
      const chunk = ready.slice(i, i + CREDIT_CHUNK);
      const outcomes = await this.crediting.creditMany(
        chunk.map((t) => ({ deposit: byId.get(t.deposit_id)!, transfer: t })),
        head,
      );
      credited += outcomes.filter((o) => o === 'credited').length;
    }
    return credited;
  }
}
