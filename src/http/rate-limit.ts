import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

/**
 * Per-credential limits in Redis, so they hold across API instances. If Redis is unreachable the
 * in-memory insurance limiter takes over: losing Redis must not stop payments (the database is the truth).
 */
export class RateLimits {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private limiter(perSecond: number): RateLimiterRedis {
    let l = this.limiters.get(perSecond);
    if (!l) {
      l = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.prefix}:rl:${perSecond}`,
        points: perSecond,
        duration: 1,
        insuranceLimiter: new RateLimiterMemory({ points: perSecond, duration: 1 }),
      });
      this.limiters.set(perSecond, l);
    }
    return l;
  }

  async consume(id: string, perSecond: number): Promise<RateDecision> {
    try {
      const r = await this.limiter(perSecond).consume(id, 1);
      return { allowed: true, limit: perSecond, remaining: r.remainingPoints, resetMs: r.msBeforeNext };
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        return { allowed: false, limit: perSecond, remaining: 0, resetMs: e.msBeforeNext };
      }
      throw e;
    }
  }
}
