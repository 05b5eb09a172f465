/**
 * World state as one map with an undo journal. Every block keeps the journal of the writes its transactions
 * made, so a reorg reverts blocks exactly, and a read "as of" an older height (the solidified head) walks the
 * journals of the blocks above it. The writes of pending transactions sit in the open journal (see chain.ts):
 * the full node reads them, the solidity node and block production do not.
 *
 * Values are bigints (balances, amounts, times) or texts (JSON lists such as an account's unfreezings).
 * Keys: `trx:<addr>` balance in sun (an account exists when this key exists), `ctime:<addr>` creation time,
 * `tok:<token>:<addr>` TRC20 balance, `alw:<token>:<owner>:<spender>` allowance; the resource keys are
 * listed in account.ts, contract states in energy.ts. Addresses are 41-hex.
 */
export type Value = bigint | string;
export type Journal = Array<[key: string, prev: Value | undefined]>;

export interface StateReader {
  get(key: string): bigint | undefined;
  text(key: string): string | undefined;
}

export interface StateWriter extends StateReader {
  set(key: string, value: bigint): void;
  setText(key: string, value: string): void;
}

const asBig = (v: Value | undefined) => (typeof v === 'bigint' ? v : undefined);
const asText = (v: Value | undefined) => (typeof v === 'string' ? v : undefined);

export class State implements StateWriter {
  private readonly values = new Map<string, Value>();
  private journal: Journal = [];

  get(key: string): bigint | undefined {
    return asBig(this.values.get(key));
  }

  text(key: string): string | undefined {
    return asText(this.values.get(key));
  }

  set(key: string, value: bigint): void {
    this.write(key, value);
  }

  setText(key: string, value: string): void {
    this.write(key, value);
  }

  private write(key: string, value: Value): void {
    this.journal.push([key, this.values.get(key)]);
    this.values.set(key, value);
  }

  /** Position in the open journal, to undo a failed transaction's partial writes. */
  mark(): number {
    return this.journal.length;
  }

  rollbackTo(mark: number): void {
    const undone = this.journal.splice(mark);
    State.undo(this.values, undone);
  }

  /** The writes made since the last takeJournal (the pending transactions'), oldest first; read-only. */
  openJournal(): Journal {
    return this.journal;
  }

  /** Hands over the journal collected since the last call (one block's writes) and starts a new one. */
  takeJournal(): Journal {
    const j = this.journal;
    this.journal = [];
    return j;
  }

  /** Reverts a block's journal (blocks must be reverted newest first). */
  revert(journal: Journal): void {
    State.undo(this.values, journal);
  }

  /**
   * A read-only view of the state before the given journals were applied. `journalsAbove` are the journals
   * of the blocks above the wanted height (and the open journal), in ascending order: the first write of a
   * key among them holds the value the key had at that height.
   */
  viewBefore(journalsAbove: Journal[]): StateReader {
    const earliest = new Map<string, Value | undefined>();
    for (const j of journalsAbove) {
      for (const [key, prev] of j) if (!earliest.has(key)) earliest.set(key, prev);
    }
    const raw = (key: string) => (earliest.has(key) ? earliest.get(key) : this.values.get(key));
    return { get: (key) => asBig(raw(key)), text: (key) => asText(raw(key)) };
  }

  private static undo(values: Map<string, Value>, journal: Journal): void {
    for (let i = journal.length - 1; i >= 0; i--) {
      const [key, prev] = journal[i] as [string, Value | undefined];
      if (prev === undefined) values.delete(key);
      else values.set(key, prev);
    }
  }
}

/** A writer over a reader that keeps writes to itself: constant calls, estimates and builders run on it. */
export function overlay(base: StateReader): StateWriter {
  const writes = new Map<string, Value>();
  const raw = (key: string) => (writes.has(key) ? writes.get(key) : undefined);
  return {
    get: (key) => (writes.has(key) ? asBig(raw(key)) : base.get(key)),
    text: (key) => (writes.has(key) ? asText(raw(key)) : base.text(key)),
    set: (key, value) => void writes.set(key, value),
    setText: (key, value) => void writes.set(key, value),
  };
}
