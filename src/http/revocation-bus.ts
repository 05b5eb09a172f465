import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { MerchantsService, RevocationNotices, TokenRevocations } from '../modules/merchants/index.js';

// Revocations reach every API process at once through Redis pub/sub: an API key revoked anywhere (API, CLI,
// another instance) is dropped from every cache, a bearer token is added to every process's revoked list, and
// the sockets opened with either are closed. PostgreSQL stays the record: keys are re-read within the key
// cache's 5 s, revoked tokens within TokenRevocations' sync interval, when a message is lost.

export function revocationChannels(prefix: string) {
  return { keys: `${prefix}:keys:revoked`, tokens: `${prefix}:tokens:revoked` };
}

interface Sockets {
  closeForKey(keyId: string): void;
  closeForToken(tokenId: string): void;
}

export async function wireRevocations(o: {
  prefix: string;
  redis: Redis;
  subscriber: Redis;
  merchants: MerchantsService;
  revocations: TokenRevocations;
  notices: RevocationNotices;
  sockets: Sockets | null;
  log: Logger;
}): Promise<void> {
  const channels = revocationChannels(o.prefix);
  const publish = (channel: string, message: unknown) =>
    o.redis
      .publish(channel, JSON.stringify(message))
      .catch((err) => o.log.warn({ err: err.message, channel }, 'could not publish a revocation'));
  o.notices.onKey((hash, keyId) => {
    o.sockets?.closeForKey(keyId);
    publish(channels.keys, { hash, keyId });
  });
  o.notices.onToken((jti, expiresAtMs) => {
    o.sockets?.closeForToken(jti);
    publish(channels.tokens, { jti, expiresAtMs });
  });
  await o.subscriber.subscribe(channels.keys, channels.tokens);
  o.subscriber.on('message', (channel, message) => {
    try {
      if (channel === channels.keys) {
        const { hash, keyId } = JSON.parse(message) as { hash: string; keyId: string };
        o.merchants.evict(hash);
        o.sockets?.closeForKey(keyId);
      } else if (channel === channels.tokens) {
        const { jti, expiresAtMs } = JSON.parse(message) as { jti: string; expiresAtMs: number };
        o.revocations.add(jti, expiresAtMs);
        o.sockets?.closeForToken(jti);
      }
    } catch {}
  });
}
