import { type HotWallet, PayoutChainError, type WalletBalances } from '../../chains/payout/types.js';
import type { NetworkConfig } from '../../chains/registry.js';
import type { Pool } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import type { LedgerService } from '../ledger/index.js';
import type { WithdrawalRow } from '../withdrawals/index.js';
import { prepareSigning } from './prepared.js';
import { completePayout, failPayout } from './settle.js';
import type { PayoutStore, PayoutTxRow } from './store.js';

// One pass over one hot wallet (the payout queue of that wallet runs one at a time, and a PostgreSQL advisory
// lock makes it exclusive across workers too). First every open transaction is checked on chain: confirmed ones
// complete, failed ones refund, dead TRON ones (expired unmined) free their withdrawal for a new transaction,
// stuck EVM ones are replaced with the same nonce and higher fees, unconfirmed ones are rebroadcast. Then
// approved withdrawals are signed (stored first) and broadcast, in order, while the wallet can pay them: the node is
// asked what signing needs before the transaction that locks the withdrawal (src/modules/payouts/prepared.ts).

export interface TickResult {
  skipped?: boolean;
  sent: number;
  completed: number;
  failed: number;
  replaced: number;
  waiting: number;
  alert: string | null;
}

export interface ProcessorOptions {
  /** EVM: replace a transaction still unmined this long after it was signed. */
  replaceAfterMs: number;
  /** Rebroadcast an unmined transaction at most this often. */
  rebroadcastMs: number;
  /** Most new payouts signed per pass. */
  maxSendsPerPass: number;
}

/** The hot wallet's advisory lock: held by a payout pass, and by the treasury while it signs from the wallet. */
export const hotWalletLockKey = (wallet: HotWallet) => `payouts:${wallet.key}`;
const lockKey = hotWalletLockKey;
/** Withdrawals followed at once in a pass (node round trips dominate). */
const FOLLOW_CONCURRENCY = 8;

export class PayoutProcessor {
  private readonly byChain: Map<string, NetworkConfig>;

  constructor(
    readonly wallet: HotWallet,
    private readonly store: PayoutStore,
    private readonly ledger: LedgerService,
    /** Where the pass's advisory-lock connection comes from (not the pool the store queries through). */
    private readonly lockPool: Pool,
    private readonly log: Logger,
    private readonly opts: ProcessorOptions,
  ) {
    this.byChain = new Map(wallet.networks.map((n) => [n.chain, n]));
  }

  private netOf(w: WithdrawalRow): NetworkConfig | undefined {
    return this.byChain.get(`${w.network}:${w.mode}`);
  }

  async tick(): Promise<TickResult> {
    const lock = await this.lockPool.connect();
    try {
      const got = await lock.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [
        lockKey(this.wallet),
      ]);
      if (!got.rows[0]?.ok)
        return { skipped: true, sent: 0, completed: 0, failed: 0, replaced: 0, waiting: 0, alert: null };
      try {
        return await this.run();
      } finally {
        await lock.query('select pg_advisory_unlock(hashtext($1))', [lockKey(this.wallet)]);
      }
    } finally {
      lock.release();
    }
  }

  private async run(): Promise<TickResult> {
    const result: TickResult = { sent: 0, completed: 0, failed: 0, replaced: 0, waiting: 0, alert: null };
    try {
      await this.follow(result);
      const balances = await this.wallet.balances();
      await this.send(result, balances);
      await this.store.recordBalances(this.wallet.key, balances, result.alert);
    } catch (err) {
      if (!(err instanceof PayoutChainError)) throw err;
      this.log.warn(
        { wallet: this.wallet.key, err: err.message },
        'payout node unavailable; retrying on the next pass',
      );
    }
    return result;
  }

  /** Open transactions, a few withdrawals at a time: confirm, complete, fail, expire, replace or rebroadcast. */
  private async follow(result: TickResult) {
    const open = await this.store.open(this.wallet.key);
    const settlements: Promise<unknown>[] = [];
    // One reading of each node's head per pass, shared by every lookup of the pass.
    const heads = new Map<string, Promise<number>>();
    const headOf = (net: NetworkConfig) => () => {
      let h = heads.get(net.nodeUrl);
      if (!h) {
        h = this.wallet.headBlock(net);
        heads.set(net.nodeUrl, h);
      }
      return h;
    };
    let next = 0;
    // A lane that fails stops the others taking more, but the pass waits for what they have started: it
    // holds the wallet's lock, and the next pass must not follow a withdrawal a lane of this one is still
    // marking, replacing or rebroadcasting (Promise.all returned at the first failure, and the pass let go of
    // the lock with the other lanes still at work).
    const failures: unknown[] = [];
    const lane = async () => {
      while (next < open.length && failures.length === 0) {
        const { withdrawal, txs } = open[next++]!;
        try {
          const settled = await this.followOne(withdrawal, txs, result, headOf);
          if (settled) settlements.push(settled);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FOLLOW_CONCURRENCY, open.length) }, lane));
    // Completions and refunds go to the ledger together, so its batcher writes them in few transactions; all
    // of them are waited for, whichever fails.
    const settled = await Promise.allSettled(settlements);
    if (failures.length > 0) throw failures[0];
    const refused = settled.find((s) => s.status === 'rejected');
    if (refused) throw refused.reason;
  }

  /** One withdrawal's transactions; returns its settlement when it is final (completed or failed on chain). */
  private async followOne(
    withdrawal: WithdrawalRow,
    txs: PayoutTxRow[],
    result: TickResult,
    headOf: (net: NetworkConfig) => () => Promise<number>,
  ): Promise<Promise<void> | null> {
    const net = this.netOf(withdrawal);
    if (!net) return null;
    const mined = await this.minedOf(net, txs, headOf(net));
    if (mined) {
      const { tx, at } = mined;
      if (at.confirmations < net.confirmations) {
        await this.store.markMined(withdrawal, tx, at.blockNumber, at.confirmations);
        return null;
      }
      const settle = at.success
        ? completePayout(this.ledger, withdrawal, tx, at.blockNumber, at.confirmations, at.feePaid)
        : failPayout(
            this.ledger,
            withdrawal,
            tx,
            at.blockNumber,
            'chain_failed',
            `transaction ${tx.tx_hash} failed on chain`,
            at.feePaid,
          );
      return settle.then((ok) => {
        if (ok && at.success) result.completed++;
        else if (ok) result.failed++;
      });
    }
    const latest = txs.at(-1)!;
    const wasMined = txs.find((t) => t.status === 'mined');
    if (wasMined) await this.store.markUnmined(withdrawal, wasMined);
    if (await this.wallet.isDead(net, latest.tx_hash, latest.expires_at)) {
      await this.store.markExpired(withdrawal, latest);
      return null;
    }
    const age = Date.now() - latest.created_at.getTime();
    if (this.wallet.nonces && latest.status !== 'signed' && age > this.opts.replaceAfterMs) {
      if (await this.replace(net, withdrawal, latest)) result.replaced++;
      return null;
    }
    if (
      latest.status === 'signed' ||
      Date.now() - (latest.broadcast_at?.getTime() ?? 0) > this.opts.rebroadcastMs
    )
      await this.broadcast(net, latest, result);
    return null;
  }

  /** The transaction of this withdrawal that is in a block (newest first: a replacement is likelier). */
  private async minedOf(net: NetworkConfig, txs: PayoutTxRow[], head: () => Promise<number>) {
    for (const tx of [...txs].reverse()) {
      const at = await this.wallet.lookup(net, tx.tx_hash, head);
      if (at.state === 'mined') return { tx, at };
    }
    return null;
  }

  private async replace(net: NetworkConfig, w: WithdrawalRow, prev: PayoutTxRow): Promise<boolean> {
    const sign = await this.wallet.prepare(net, w.wallet_address, BigInt(w.amount_token_minor), {
      replacing: prev.fee_params,
    });
    const signed = await sign(prev.nonce);
    const tx = await this.store.recordReplacement(prev, signed);
    if (!tx) return false;
    this.log.info(
      { withdrawal: w.id, from: prev.tx_hash, to: tx.tx_hash, nonce: String(tx.nonce) },
      'payout replaced with higher fees',
    );
    await this.broadcast(net, tx, null);
    return true;
  }

  /** Sends a stored transaction; true when the node has it. */
  private async broadcast(net: NetworkConfig, tx: PayoutTxRow, result: TickResult | null): Promise<boolean> {
    const r = await this.wallet.broadcast(net, tx.raw_tx);
    if (r.ok) {
      if (tx.status === 'signed') await this.store.markBroadcast(tx);
      else await this.store.touchBroadcast(tx, null);
      return true;
    }
    await this.store.touchBroadcast(tx, r.message);
    if (r.kind === 'nonce_used') {
      // Our nonce is taken but none of this withdrawal's transactions is in a block: someone else used the key.
      const alert = `nonce ${tx.nonce} of ${this.wallet.address} was used by a transaction we did not sign (${tx.withdrawal_id})`;
      this.log.error({ wallet: this.wallet.key, withdrawal: tx.withdrawal_id }, alert);
      if (result) result.alert = alert;
    } else if (r.kind !== 'expired') {
      this.log.warn(
        { wallet: this.wallet.key, tx: tx.tx_hash, err: r.message },
        'payout broadcast refused; retrying',
      );
      if (result) result.alert = `broadcast of ${tx.tx_hash} refused: ${r.message}`;
    }
    return false;
  }

  /**
   * New payouts, oldest first, while the wallet can pay them: the balances read once per pass, less what is
   * in flight and what this pass signs. A refused broadcast stops the pass (EVM nonces go out in order).
   */
  private async send(result: TickResult, balances: WalletBalances) {
    const chains = [...this.byChain.keys()];
    const approved = await this.store.approved(chains, this.opts.maxSendsPerPass);
    if (!approved.length) return;
    const flight = await this.store.inFlight(this.wallet.key);
    const tokenLeft = new Map(
      Object.entries(balances.token).map(([n, v]) => [n, v - (flight.units[n] ?? 0n)] as const),
    );
    let nativeLeft = balances.native - flight.native;
    for (const w of approved) {
      const net = this.netOf(w);
      if (!net) continue;
      const units = BigInt(w.amount_token_minor);
      const left = tokenLeft.get(w.network) ?? 0n;
      let short: string | null = null;
      if (left < units) {
        short = `hot wallet ${this.wallet.address} can pay ${left} ${net.token.symbol} units on ${net.network} (after what is in flight), needs ${units}`;
      } else {
        const cost = await this.wallet.feeCost(net, w.wallet_address, units);
        if (nativeLeft < cost)
          short = `hot wallet ${this.wallet.address} can burn ${nativeLeft} of the chain's coin for fees (after what is in flight), needs ${cost}`;
      }
      if (short) {
        result.waiting++;
        if (!result.alert) {
          result.alert = short;
          this.log.error({ wallet: this.wallet.key, withdrawal: w.id }, `payout waiting: ${short}`);
        }
        await this.store.setWaiting(w, short);
        continue;
      }
      // Everything from the node first; the transaction that locks the withdrawal only signs and records.
      const prepared = await prepareSigning(
        () => this.wallet.prepare(net, w.wallet_address, units),
        this.wallet.nonces && w.payout_nonce === null
          ? () => this.store.nonceSeed(this.wallet.key, () => this.wallet.chainNonce())
          : undefined,
      );
      const stored = await this.store.recordSigned(w, this.wallet, prepared);
      if (!stored) continue;
      tokenLeft.set(w.network, left - units);
      nativeLeft -= BigInt(stored.tx.fee_params.maxCost ?? '0');
      result.sent++;
      if (!(await this.broadcast(net, stored.tx, result))) break;
    }
  }
}
