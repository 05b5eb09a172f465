import type { Redis } from 'ioredis';

// Remembers the signatures of version-2 requests for as long as their timestamp is accepted, so a captured
// request cannot be sent again. Redis holds them (SET NX with an expiry), so the refusal holds across API
// instances. While Redis is away, this process remembers them itself: a replay to the same instance is still
// refused, and after the outage Redis is asked again.

/** Beyond this many signatures remembered in-process (only while Redis is away), the oldest are dropped. */
const LOCAL_MAX = 200_000;

export class ReplayCache {
  private readonly local = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** True the first time `id` is seen within `ttlSeconds`; false for a replay. */
  async firstUse(id: string, ttlSeconds: number): Promise<boolean> {
    const key = `${this.prefix}:sig:${id}`;
    const now = Date.now();
    const seenHere = this.local.get(key);
    if (seenHere !== undefined && seenHere > now) return false;
    try {
      return (await this.redis.set(key, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
    } catch {
      this.remember(key, now + ttlSeconds * 1000, now);
      return true;
    }
  }

  private remember(key: string, expiresAtMs: number, now: number): void {
    if (this.local.size >= LOCAL_MAX) {
      for (const [k, exp] of this.local) {
        if (exp <= now || this.local.size >= LOCAL_MAX) this.local.delete(k);
        else break;
      }
    }
    this.local.set(key, expiresAtMs);
  }
}
