import { FailureRun } from '../lib/failure-run.js';
import type { Logger } from '../lib/logger.js';
import type { MerchantsService, TokenService } from '../modules/merchants/index.js';

// The sockets opened with a key or token revoked elsewhere are closed at once by the Redis message that tells
// of it (src/http/revocation-bus.ts). That message is lost when Redis is away, and a socket, unlike an HTTP
// request, never shows its credential again: it stayed open and went on running queries and mutations. So
// every SWEEP_MS each process asks PostgreSQL, the record, about the credentials behind its open sockets
// (one query for the keys; one reload of the revoked tokens' list, when it has token sockets) and closes
// those that were revoked.

export const SWEEP_MS = 2_000;

export interface SweptSockets {
  keyIds(): string[];
  tokenIds(): string[];
  closeForKey(keyId: string): void;
  closeForToken(tokenId: string): void;
}

export function startRevocationSweep(
  sockets: SweptSockets,
  services: { merchants: MerchantsService; tokens: TokenService; log: Logger },
  everyMs = SWEEP_MS,
): { stop(): void } {
  let running = false;
  const sweep = async () => {
    // Tokens first: their list is reloaded at each sweep (it is counted stale only 2 s after its last read
    // ended, so relying on that skipped every other sweep), and a failed reload keeps the list, so a
    // PostgreSQL error on the keys' query below does not hold back what Redis brought.
    const tokenIds = sockets.tokenIds();
    if (tokenIds.length > 0) await services.tokens.refreshRevocations();
    for (const tokenId of tokenIds) {
      if (await services.tokens.isRevoked(tokenId)) sockets.closeForToken(tokenId);
    }
    for (const keyId of await services.merchants.revokedKeyIds(sockets.keyIds())) sockets.closeForKey(keyId);
  };
  // While PostgreSQL is away every sweep fails: one warning when they start failing, one line when a sweep
  // works again (with how many failed), not a warning every SWEEP_MS from every process.
  const failures = new FailureRun(services.log, {
    failing: 'could not check open sockets for revocations; logged again when a sweep works',
    recovered: 'open sockets are checked for revocations again',
    countField: 'failedSweeps',
  });
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .then(() => failures.worked())
      .catch((err) => failures.failed(err))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
