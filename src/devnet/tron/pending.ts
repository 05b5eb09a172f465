import { executeTransaction, type FailureKind } from './execute.js';
import { Refusal } from './fees.js';
import { checkSignatures } from './permissions.js';
import type { Clock } from './resources.js';
import type { State } from './state.js';
import type { TxJson } from './tx.js';

/**
 * The pending transactions of the node, applied to the state as java-tron's pushTransaction does: a
 * broadcast is checked (tx-id cache, expiration, signature, TAPOS, duplicates), then executed on the pending
 * state, so the full node's answers (balances, the next broadcast's validation, a builder's checks) see it
 * at once. Their writes stay in the state's open journal; block production rolls them back and executes the
 * transactions again in the block (chain.ts), as java-tron re-runs its pending list when it packs a block.
 */

export type BroadcastOutcome =
  | { ok: true; txid: string }
  | { ok: false; txid: string; code: string; message: string };

const MAX_EXPIRATION_MS = 86_400_000;

export interface PendingHost {
  state: State;
  clock(): Clock;
  /** Whether the transaction references a block of this chain (ref_block_bytes/hash). */
  taposOk(tx: TxJson): boolean;
  /** Whether a block already holds it. */
  included(txid: string): boolean;
}

export class PendingPool {
  readonly txs: TxJson[] = [];
  private readonly ids = new Set<string>();
  /** java-tron's transaction-id cache: a txid seen by broadcast is refused again until it expires. */
  readonly seen = new Set<string>();
  /** Failures forced on transactions, bound to their txid when they are first executed. */
  readonly forced = new Map<string, FailureKind>();
  readonly failNextCalls: FailureKind[] = [];
  /** Orphans of a reorg queued again: the devnet re-includes them without a TAPOS check. */
  private readonly orphans = new Set<string>();

  constructor(private readonly host: PendingHost) {}

  has(txid: string): boolean {
    return this.ids.has(txid);
  }

  /** The checks of java-tron's broadcastTransaction, in its order, then the pending execution. */
  broadcast(tx: TxJson, opts: { trusted?: boolean; skipTapos?: boolean } = {}): BroadcastOutcome {
    const txid = tx.txID;
    const fail = (code: string, message: string): BroadcastOutcome => ({ ok: false, txid, code, message });
    if (this.seen.has(txid)) return fail('DUP_TRANSACTION_ERROR', 'Transaction already exists.');
    const headTime = this.host.clock().headMs;
    const exp = tx.raw_data.expiration;
    if (exp <= headTime || exp > headTime + MAX_EXPIRATION_MS)
      return fail('TRANSACTION_EXPIRATION_ERROR', 'Transaction expired');
    // the devnet's own controls sign with the owner's key: recovery (~3 ms) is skipped for them
    const sigError = opts.trusted
      ? tx.signature?.length
        ? undefined
        : 'miss sig or contract'
      : checkSignatures(this.host.state, tx);
    if (sigError) return fail('SIGERROR', `Validate signature error: ${sigError}`);
    if (!opts.skipTapos && !this.host.taposOk(tx)) return fail('TAPOS_ERROR', 'Tapos check error.');
    if (this.host.included(txid) || this.ids.has(txid))
      return fail('DUP_TRANSACTION_ERROR', 'Dup transaction.');
    const refused = this.apply(tx);
    if (refused) return fail(refused.code, refused.message);
    this.txs.push(tx);
    this.ids.add(txid);
    this.seen.add(txid);
    return { ok: true, txid };
  }

  /** Executes a transaction on the pending state; the Refusal when java-tron would not take it. */
  private apply(tx: TxJson): Refusal | undefined {
    const isCall = tx.raw_data.contract[0]?.type === 'TriggerSmartContract';
    const queued = isCall && !this.forced.has(tx.txID) ? this.failNextCalls[0] : undefined;
    try {
      executeTransaction(this.host.state, tx, this.host.clock(), this.forced.get(tx.txID) ?? queued);
    } catch (err) {
      if (err instanceof Refusal) return err;
      throw err;
    }
    if (queued) this.forced.set(tx.txID, this.failNextCalls.shift() as FailureKind);
    return undefined;
  }

  /** Takes up to `n` transactions for a block (their pending writes must have been rolled back). */
  take(n: number): TxJson[] {
    const taken = this.txs.splice(0, n);
    for (const t of taken) this.ids.delete(t.txID);
    return taken;
  }

  /** Whether a taken transaction may go into a block: TAPOS holds, or it is a re-queued orphan. */
  packable(tx: TxJson): boolean {
    const ok = this.orphans.delete(tx.txID) || this.host.taposOk(tx);
    if (!ok) this.seen.delete(tx.txID);
    return ok;
  }

  /** Queues transactions without the broadcast checks (orphans of a reorg); the refused ones are dropped. */
  requeue(txs: TxJson[]): TxJson[] {
    const kept = txs.filter((t) => !this.ids.has(t.txID) && !this.host.included(t.txID) && !this.apply(t));
    for (const t of kept) {
      this.txs.push(t);
      this.ids.add(t.txID);
      this.orphans.add(t.txID);
    }
    return kept;
  }

  /** Executes the remaining transactions again on a new head; drops those that no longer run. */
  reapply(): void {
    const txs = this.take(this.txs.length);
    for (const t of txs) {
      // java-tron checks TAPOS again when it packs a transaction: one whose reference block a reorg
      // replaced is dropped (orphans queued by requeue() are exempt, as documented)
      const tapos = this.orphans.has(t.txID) || this.host.taposOk(t);
      if (tapos && t.raw_data.expiration > this.host.clock().headMs && !this.apply(t)) {
        this.txs.push(t);
        this.ids.add(t.txID);
      } else this.seen.delete(t.txID);
    }
  }
}
