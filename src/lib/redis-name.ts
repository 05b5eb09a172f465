/**
 * The name every Redis connection of one deployment gives itself (CLIENT SETNAME): its REDIS_PREFIX, so
 * `redis-cli client list` tells whose connections are whose. Redis refuses spaces in a name.
 */
export function redisConnectionName(redisPrefix: string): string {
  return redisPrefix.replace(/[^\w:.-]/g, '_');
}
