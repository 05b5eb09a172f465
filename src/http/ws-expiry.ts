import type { WebSocket } from 'ws';

// A socket authenticates once, in connection_init; an HTTP request shows its credential every time. So a
// socket opened with a bearer token is closed when the token expires (ws.ts), as the next HTTP request with it
// would be refused.

/** Longest delay a Node timer takes (about 24.8 days); a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes a socket with `code` (4401) and `token_expired` when the bearer token that opened it expires: a
 * short-lived user session or stream token does not live on in a socket.
 */
export function closeAtExpiry(ws: WebSocket, expiresAt: number, code: number): void {
  if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return; // closed while it authenticated
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) {
      ws.close(code, 'token_expired');
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  ws.once('close', () => clearTimeout(timer));
}
