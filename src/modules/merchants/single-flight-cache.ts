// What a process has looked up (an API key by the hex sha256 of the key, a merchant's settings by its id), for
// CACHE_TTL_MS. One lookup per key at a time: when an entry expires, every request in flight that needs it
// would otherwise look it up again (32 clients: 32 lookups at each expiry); they share the one lookup instead.
// An evict (a revocation, a settings change) is exact for a lookup in flight too: what it read may be from
// before the change, so its answer is not cached, and requests after the evict start a lookup of their own.
// A lookup that fails is shared by the requests that waited on it and not cached.

/** How long a process keeps what it looked up: a change made by another process applies within it. */
export const CACHE_TTL_MS = 5_000;
/** Entries per cache; one more empties it. */
export const CACHE_MAX_ENTRIES = 10_000;

/** A lookup in flight; `stale` once its key was evicted while it ran. */
interface Lookup<V> {
  readonly value: Promise<V>;
  stale: boolean;
}

export class SingleFlightCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();
  private readonly lookups = new Map<string, Lookup<V>>();

  constructor(
    private readonly ttlMs = CACHE_TTL_MS,
    private readonly maxEntries = CACHE_MAX_ENTRIES,
  ) {}

  /** The cached value, else the lookup in flight for it, else a new lookup (`lookUp`), shared until it ends. */
  async get(key: string, lookUp: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAtMs > now) return hit.value;
    const running = this.lookups.get(key);
    if (running) return running.value;
    const lookup: Lookup<V> = { value: lookUp(), stale: false };
    this.lookups.set(key, lookup);
    try {
      const value = await lookup.value;
      // The requests that shared a stale lookup began before the evict, as a request holding a cached value does.
      if (!lookup.stale) {
        if (this.entries.size >= this.maxEntries) this.entries.clear();
        this.entries.set(key, { value, expiresAtMs: now + this.ttlMs });
      }
      return value;
    } finally {
      if (this.lookups.get(key) === lookup) this.lookups.delete(key);
    }
  }

  /** Forgets a key, and that any lookup of it in flight is worth caching. */
  evict(key: string): void {
    this.entries.delete(key);
    const running = this.lookups.get(key);
    if (running) {
      running.stale = true;
      this.lookups.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    for (const running of this.lookups.values()) running.stale = true;
    this.lookups.clear();
  }
}
