import type { ResolvedKey } from './keys.js';

// The API keys a process has looked up, by the hex sha256 of the key, for KEY_CACHE_TTL_MS. One lookup per key
// at a time: when a key's entry expires, every request in flight with that key would otherwise look it up again
// (32 clients: 32 pairs of queries at each expiry); they share the one lookup instead. An evict (a revocation,
// a settings change) is exact for a lookup in flight too: what it read may be from before the change, so its
// answer is not cached, and requests after the evict start a lookup of their own.

export const KEY_CACHE_TTL_MS = 5_000;
const KEY_CACHE_MAX = 10_000;

/** A lookup in flight; `stale` once its key was evicted while it ran. */
interface Lookup {
  readonly key: Promise<ResolvedKey | null>;
  stale: boolean;
}

export class KeyCache {
  private readonly entries = new Map<string, { key: ResolvedKey | null; expiresAtMs: number }>();
  private readonly lookups = new Map<string, Lookup>();

  /** The cached key, else the lookup in flight for it, else a new lookup (`lookUp`), shared until it ends. */
  async get(hashHex: string, lookUp: () => Promise<ResolvedKey | null>): Promise<ResolvedKey | null> {
    const now = Date.now();
    const hit = this.entries.get(hashHex);
    if (hit && hit.expiresAtMs > now) return hit.key;
    const running = this.lookups.get(hashHex);
    if (running) return running.key;
    const lookup: Lookup = { key: lookUp(), stale: false };
    this.lookups.set(hashHex, lookup);
    try {
      const key = await lookup.key;
      // The requests that shared a stale lookup began before the evict, as a request holding a cached key does.
      if (!lookup.stale) {
        if (this.entries.size >= KEY_CACHE_MAX) this.entries.clear();
        this.entries.set(hashHex, { key, expiresAtMs: now + KEY_CACHE_TTL_MS });
      }
      return key;
    } finally {
      if (this.lookups.get(hashHex) === lookup) this.lookups.delete(hashHex);
    }
  }

  /** Forgets a key, and that any lookup of it in flight is worth caching. */
  evict(hashHex: string): void {
    this.entries.delete(hashHex);
    const running = this.lookups.get(hashHex);
    if (running) {
      running.stale = true;
      this.lookups.delete(hashHex);
    }
  }

  clear(): void {
    this.entries.clear();
    for (const running of this.lookups.values()) running.stale = true;
    this.lookups.clear();
  }
}
