import type { WebSocket } from 'ws';
import type { Principal } from '../context.js';

/**
 * Sockets by the credential that opened them, to close them when it is revoked. ws-socket-lifecycle.ts
 * removes a socket when it closes (one close listener per socket does all of a socket's cleanup: each
 * listener costs memory).
 */
export class SocketIndex {
  private readonly sockets = new Map<string, Set<WebSocket>>();

  add(id: string, ws: WebSocket): void {
    // Closed while it authenticated: its 'close' has fired already, so it would stay here (and in every
    // revocation sweep's query) for as long as the process runs.
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
    const set = this.sockets.get(id) ?? new Set();
    set.add(ws);
    this.sockets.set(id, set);
  }

  /** The socket closed. */
  remove(id: string, ws: WebSocket): void {
    const set = this.sockets.get(id);
    if (!set?.delete(ws)) return;
    if (set.size === 0) this.sockets.delete(id);
  }

  /** Closes the sockets of `id` with `closeCode` (4401: its credential is revoked). */
  close(id: string, closeCode: number, reason: string): void {
    for (const ws of this.sockets.get(id) ?? []) ws.close(closeCode, reason);
    this.sockets.delete(id);
  }

  ids(): string[] {
    return [...this.sockets.keys()];
  }

  size(): number {
    let n = 0;
    for (const set of this.sockets.values()) n += set.size;
    return n;
  }
}

/**
 * The credentials whose revocation closes a socket of `principal`: its API key's id (byKey), and the ids
 * recorded as tokens' (byToken): its bearer token's, a portal session's parent tokens', and the key that
 * minted a user session or stream token (the revocation is recorded, and announced, under the key's id as a
 * token's: MerchantsService.revokeKey).
 */
function revocationIds(principal: Principal): { key?: string; tokens: string[] } {
  if (principal.kind === 'merchant') return { key: principal.keyId, tokens: [] };
  const tokens: string[] = [];
  if (principal.kind !== 'anonymous' && principal.tokenId) tokens.push(principal.tokenId);
  if (principal.kind === 'admin') tokens.push(...(principal.parentTokenIds ?? []));
  if ((principal.kind === 'user' || principal.kind === 'stream') && principal.mintedByKeyId)
    tokens.push(principal.mintedByKeyId);
  return { tokens };
}

/** Sockets by API key (byKey) and by the ids revoked as tokens' (byToken): revocationIds. */
export class CredentialSockets {
  readonly byKey = new SocketIndex();
  readonly byToken = new SocketIndex();

  add(principal: Principal, ws: WebSocket): void {
    const ids = revocationIds(principal);
    if (ids.key !== undefined) this.byKey.add(ids.key, ws);
    for (const id of ids.tokens) this.byToken.add(id, ws);
  }

  /** The socket closed. */
  remove(principal: Principal, ws: WebSocket): void {
    const ids = revocationIds(principal);
    if (ids.key !== undefined) this.byKey.remove(ids.key, ws);
    for (const id of ids.tokens) this.byToken.remove(id, ws);
  }
}
