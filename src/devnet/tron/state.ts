/**
 * World state as one map of bigint values with an undo journal. Every block keeps the journal of the writes
 * its transactions made, so a reorg reverts blocks exactly, and a read "as of" an older height (the
 * solidified head) walks the journals of the blocks above it.
 *
 * Keys: `trx:<addr>` balance in sun (an account exists when this key exists), `ctime:<addr>` creation time,
 * `fnu:<addr>` / `fnt:<addr>` free bandwidth used and the time it was last used, `tok:<token>:<addr>` TRC20
 * balance, `alw:<token>:<owner>:<spender>` allowance. Addresses are 41-hex.
 */
export type Journal = Array<[key: string, prev: bigint | undefined]>;

export interface StateReader {
  get(key: string): bigint | undefined;
}

export interface StateWriter extends StateReader {
  set(key: string, value: bigint): void;
}

export class State implements StateWriter {
  private readonly values = new Map<string, bigint>();
  private journal: Journal = [];

  get(key: string): bigint | undefined {
    return this.values.get(key);
  }

  set(key: string, value: bigint): void {
    this.journal.push([key, this.values.get(key)]);
    this.values.set(key, value);
  }

  /** Position in the current journal, to undo a failed transaction's partial writes. */
  mark(): number {
    return this.journal.length;
  }

  rollbackTo(mark: number): void {
    const undone = this.journal.splice(mark);
    State.undo(this.values, undone);
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
   * of the blocks above the wanted height, in ascending block order: the first write of a key among them
   * holds the value the key had at that height.
   */
  viewBefore(journalsAbove: Journal[]): StateReader {
    const earliest = new Map<string, bigint | undefined>();
    for (const j of journalsAbove) {
      for (const [key, prev] of j) if (!earliest.has(key)) earliest.set(key, prev);
    }
    return { get: (key) => (earliest.has(key) ? earliest.get(key) : this.values.get(key)) };
  }

  private static undo(values: Map<string, bigint>, journal: Journal): void {
    for (let i = journal.length - 1; i >= 0; i--) {
      const [key, prev] = journal[i] as [string, bigint | undefined];
      if (prev === undefined) values.delete(key);
      else values.set(key, prev);
    }
  }
}

/** A writer over a reader that keeps writes to itself: constant calls and energy estimates run on it. */
export function overlay(base: StateReader): StateWriter {
  const writes = new Map<string, bigint>();
  return {
    get: (key) => (writes.has(key) ? writes.get(key) : base.get(key)),
    set: (key, value) => void writes.set(key, value),
  };
}
