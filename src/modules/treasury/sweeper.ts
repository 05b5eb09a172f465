import pMap from 'p-map';
import { type HotWallet, PayoutChainError } from '../../chains/payout/types.js';
import type { NetworkConfig } from '../../chains/registry.js';
import type { SweepChain } from '../../chains/sweep/types.js';
import type { Pool } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import type { LedgerService } from '../ledger/index.js';
import type { PayoutStore } from '../payouts/index.js';
import { sweepBackLeftovers } from './leftover.js';
import { delegate, reclaim } from './lending.js';
import { fund, moveToCold, plan } from './planning.js';
import type { SweepPolicy } from './policy.js';
import { type Reconciliation, runReconciliation } from './reconcile.js';
import { pendingRequests, serveRequest } from './requests.js';
import { settleTransaction } from './settle.js';
import { recordSweep } from './signing.js';
import type { TreasuryStore, TreasuryTxRow } from './store.js';

/** Open transactions looked up on the node at once while a pass follows them. */
const FOLLOW_CONCURRENCY = 8;
const HOT_LOCK_RETRY_MS = 25;

// One pass over one network's sweeps (its BullMQ job runs one at a time, and a PostgreSQL advisory lock makes it
// exclusive across processes). First every open transaction is followed on chain: deep enough → settled and
// booked; in a block → mined (a top-up's sweeps become ready); gone after a reorg → sent again; unmined → sent
// again now and then. Then ready sweeps are signed (stored first) and sent, new sweeps are planned by the policy,
// and, holding the hot wallet's payout lock so its nonces go out in order, the planned sweeps are topped up and
// the hot wallet's excess is moved to cold.

export interface SweepPassResult {
  skipped?: boolean;
  /** Ops paused this network (`pauseSweeping`): the pass only followed what was already on its way. */
  paused?: boolean;
  planned: number;
  toppedUp: number;
  signed: number;
  completed: number;
  failed: number;
  cold: number;
  /** TRON delegate mode: energy delegated to sweeps, and delegations reclaimed. */
  delegated: number;
  reclaimed: number;
  /** Leftover TRX sent back to the hot wallet. */
  leftovers: number;
  /** A payout pass held the hot wallet past the wait: no top-up or move to cold this pass. */
  fundingDeferred?: boolean;
}

export interface SweeperDeps {
  net: NetworkConfig;
  chain: SweepChain;
  wallet: HotWallet;
  store: TreasuryStore;
  ledger: LedgerService;
  /** What payouts have in flight from the hot wallet: kept there when moving its excess to cold. */
  payouts: PayoutStore;
  /** Where the pass's advisory-lock connections come from (not the pool the store queries through). */
  lockPool: Pool;
  log: Logger;
  policy: SweepPolicy;
  /** Most sweeps planned, signed or topped up per pass. */
  maxPerPass: number;
  /** Most sweeps under way at once: a pass plans no more while this many are open. */
  maxOpen: number;
  /** Send an unmined transaction again at most this often. */
  rebroadcastMs: number;
  /** The hot wallet's payout lock (src/modules/payouts/processor.ts), held while it signs. */
  hotLockKey: string;
  /** How long a pass waits for a payout pass to release the hot wallet before it leaves the top-ups for later. */
  hotLockWaitMs: number;
}

/** A pass that did nothing (yet). */
export const emptyPassResult = (): SweepPassResult => ({
  planned: 0,
  toppedUp: 0,
  signed: 0,
  completed: 0,
  failed: 0,
  cold: 0,
  delegated: 0,
  reclaimed: 0,
  leftovers: 0,
});

export class Sweeper {
  constructor(readonly deps: SweeperDeps) {}

  get chainKey(): string {
    return this.deps.net.chain;
  }

  /**
   * Runs `fn` holding the advisory lock `key` on a connection of its own; null when another holder has it (still,
   * after `waitMs` of trying again).
   */
  private async locked<T>(key: string, fn: () => Promise<T>, waitMs = 0): Promise<T | null> {
    const lock = await this.deps.lockPool.connect();
    try {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const got = await lock.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [
          key,
        ]);
        if (got.rows[0]?.ok) break;
        if (Date.now() >= deadline) return null;
        await new Promise((res) => setTimeout(res, HOT_LOCK_RETRY_MS));
      }
      try {
        return await fn();
      } finally {
        await lock.query('select pg_advisory_unlock(hashtext($1))', [key]);
      }
    } finally {
      lock.release();
    }
  }

  /** Compares custody on chain with the books (between passes: never while one runs); null when a pass holds the lock. */
  reconcile(): Promise<Reconciliation | null> {
    return this.locked(`sweeps:${this.chainKey}`, () => runReconciliation(this.deps));
  }

  /** One pass; `address` (ops' `sweepAddress`) is planned first, whatever the threshold. */
  async pass(opts: { address?: string } = {}): Promise<SweepPassResult> {
    const r = await this.locked(`sweeps:${this.chainKey}`, () => this.run(opts.address));
    return r ?? { ...emptyPassResult(), skipped: true };
  }

  private async run(address?: string): Promise<SweepPassResult> {
    const result = emptyPassResult();
    try {
      const send = (tx: TreasuryTxRow) => this.send(tx);
      await this.follow(result);
      await reclaim(this.deps, result, send); // even while paused: a loan is never left out
      if (await this.deps.store.paused(this.chainKey)) return { ...result, paused: true };
      await this.signReady(result);
      await this.planRequested(result, address);
      await delegate(this.deps, result, send);
      // The hot wallet's lock is the payout pass's too (a few seconds apart in production): wait for it to finish
      // rather than leave the top-ups for the next sweep pass.
      const funded = await this.locked(
        this.deps.hotLockKey,
        async () => {
          if (await fund(this.deps, result, send)) await moveToCold(this.deps, result, send);
          return true;
        },
        this.deps.hotLockWaitMs,
      );
      if (funded === null) {
        result.fundingDeferred = true;
        this.deps.log.info(
          { chain: this.chainKey, wallet: this.deps.wallet.key },
          'sweep top-ups and the move to cold wait for the next pass: a payout pass held the hot wallet',
        );
      }
      await sweepBackLeftovers(this.deps, result, send);
    } catch (err) {
      if (!(err instanceof PayoutChainError)) throw err;
      this.deps.log.warn(
        { chain: this.chainKey, err: err.message },
        'sweep node unavailable; retrying on the next pass',
      );
    }
    return result;
  }

  /**
   * Plans by the policy, the addresses ops asked for first (`sweepAddress`: the requests waiting in the
   * database, and the job's own address), and marks those requests served.
   */
  private async planRequested(result: SweepPassResult, jobAddress?: string) {
    const { store, net } = this.deps;
    const requests = await pendingRequests(store.pool, net.chain, this.deps.maxPerPass);
    const forced = [...new Set([...requests.map((r) => r.address), ...(jobAddress ? [jobAddress] : [])])];
    const outcomes = await plan(this.deps, result, forced);
    for (const r of requests) await serveRequest(store.pool, r.id, outcomes.get(r.address) ?? 'not planned');
  }

  /** Sends a stored transaction; true when the node has it. */
  async send(tx: TreasuryTxRow): Promise<boolean> {
    const r = await this.deps.wallet.broadcast(this.deps.net, tx.raw_tx);
    await this.deps.store.markBroadcast(tx, r.ok ? null : r.message);
    if (!r.ok)
      this.deps.log.warn(
        { chain: this.chainKey, tx: tx.tx_hash, kind: tx.kind, err: r.message },
        'sweep broadcast refused; retrying',
      );
    return r.ok;
  }

  private async follow(result: SweepPassResult) {
    const { net, wallet, store, ledger } = this.deps;
    let head: Promise<number> | null = null;
    const headOf = () => {
      head ??= wallet.headBlock(net);
      return head;
    };
    const open = await store.openTransactions(this.chainKey);
    // The node is asked about several transactions at once (each lookup is a round trip to a remote RPC); what
    // it answers is then acted on in order, one database transaction each.
    const lookups = await pMap(open, (tx) => wallet.lookup(net, tx.tx_hash, headOf), {
      concurrency: FOLLOW_CONCURRENCY,
    });
    for (const [i, tx] of open.entries()) {
      const at = lookups[i]!;
      if (at.state === 'mined') {
        if (at.confirmations >= net.confirmations) {
          const counted = tx.kind === 'sweep' || tx.kind === 'cold' || tx.kind === 'leftover';
          if ((await settleTransaction(ledger, tx, at)) && counted) {
            if (at.success) result.completed++;
            else result.failed++;
          }
        } else if (tx.status !== 'mined') await store.markMined(tx, at.blockNumber, at.success);
        continue;
      }
      if (tx.status === 'mined') await store.markUnmined(tx);
      if (await wallet.isDead(net, tx.tx_hash, tx.expires_at)) {
        await store.markExpired(tx);
        continue;
      }
      const since = Date.now() - (tx.broadcast_at?.getTime() ?? 0);
      if (tx.status === 'signed' || tx.status === 'mined' || since > this.deps.rebroadcastMs)
        await this.send(tx);
    }
  }

  /** Ready sweeps (funded) are signed, stored and sent, oldest first. */
  private async signReady(result: SweepPassResult) {
    const { chain, store, log } = this.deps;
    for (const s of await store.byStatus(this.chainKey, 'ready', this.deps.maxPerPass)) {
      const units = BigInt(s.amount);
      const bal = await chain.balances(s.from_address);
      if (bal.token < units) {
        await store.failSweep(
          s,
          `the address holds ${bal.token} token units, less than the ${units} planned`,
        );
        result.failed++;
        continue;
      }
      if (bal.native < BigInt(s.fee_params.maxCost ?? '0')) {
        log.debug({ sweep: s.id }, 'sweep waits for its top-up to show in the balance');
        continue;
      }
      if (!(await chain.stillCovered(s.from_address, units, s.fee_params))) {
        // Never signed, so nothing can land: the next plan tops up only what is missing.
        await store.failSweep(s, 'the transfer now costs more than it was funded for; planned again');
        result.failed++;
        continue;
      }
      const tx = await recordSweep(store, s, {
        nonces: chain.usesNonces ? 'address' : 'none',
        signerKey: chain.signerKey(s.from_address),
        seed: () => chain.chainNonce(s.from_address),
        prepare: () => chain.prepareSweep(s.address_index!, s.from_address, units, s.fee_params),
      });
      if (!tx) continue;
      result.signed++;
      await this.send(tx);
    }
  }
}
