import type { NetworkConfig } from '../../chains/registry.js';
import type { ChainAdapter } from '../../chains/types.js';
import type { Logger } from '../../lib/logger.js';
import type { ChainStore } from './chain-store.js';

// Is each chain's scanner keeping up? A scanner is *stalled* when its cursor (the next block to scan, in
// PostgreSQL) has not moved for CHAIN_SCANNER_STALL_SECONDS while the chain's head advanced past it: its
// passes no longer run (schedules lost), or every pass fails on the same block. A chain whose head does not
// move (a devnet that mines on demand) is never stalled, and neither is a scanner that is behind but moving.
// The head is read from the chain itself, not from the scanner's own record, which a scanner that does not
// run never updates. Readiness (/readyz) and /metrics report what the last check found.

export interface ScannerHealthStatus {
  chain: string;
  network: string;
  mode: string;
  stalled: boolean;
  /** The next block to scan (null before the first pass). */
  cursor: number | null;
  /** The chain head at the last check (null until the node answered once). */
  head: number | null;
  /** Seconds since the cursor last moved (or since this process first looked). */
  cursorAgeSeconds: number;
}

interface Watch {
  cursor: number | null;
  since: number;
  headAtSince: number | null;
  head: number | null;
  stalled: boolean;
}

export class ScannerHealth {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly chains: { net: NetworkConfig; adapter: ChainAdapter }[],
    private readonly store: ChainStore,
    private readonly stallMs: number,
    private readonly log: Logger,
  ) {}

  /** Reads every chain's cursor and head once and updates the verdicts (a failed read keeps the last one). */
  async check(now = Date.now()): Promise<void> {
    await Promise.all(
      this.chains.map(async ({ net, adapter }) => {
        const [cursor, head] = await Promise.all([
          this.store.cursor(net.chain),
          adapter.head().catch(() => null),
        ]);
        this.update(net.chain, cursor, head, now);
      }),
    );
  }

  private update(chain: string, cursor: number | null, head: number | null, now: number): void {
    let w = this.watches.get(chain);
    const wasStalled = w?.stalled ?? false;
    if (!w || w.cursor !== cursor) {
      w = { cursor, since: now, headAtSince: head, head, stalled: false };
      this.watches.set(chain, w);
    }
    if (head !== null) {
      w.head = head;
      w.headAtSince ??= head;
    }
    w.stalled =
      w.head !== null &&
      w.headAtSince !== null &&
      w.head > w.headAtSince &&
      w.head >= (cursor ?? 0) &&
      now - w.since >= this.stallMs;
    const fields = { chain, cursor, head: w.head, stalledForSeconds: Math.round((now - w.since) / 1000) };
    if (w.stalled && !wasStalled)
      this.log.warn(fields, 'chain scanner stalled: its cursor does not move while the chain head advances');
    if (wasStalled && !w.stalled) this.log.info(fields, 'chain scanner moving again');
  }

  status(now = Date.now()): ScannerHealthStatus[] {
    return this.chains.map(({ net }) => {
      const w = this.watches.get(net.chain);
      return {
        chain: net.chain,
        network: net.network,
        mode: net.mode,
        stalled: w?.stalled ?? false,
        cursor: w?.cursor ?? null,
        head: w?.head ?? null,
        cursorAgeSeconds: w ? Math.max(0, (now - w.since) / 1000) : 0,
      };
    });
  }
}
