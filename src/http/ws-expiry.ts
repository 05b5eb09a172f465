import type { WebSocket } from 'ws';

// A socket authenticates once, in connection_init; an HTTP request shows its credential every time. So a
// socket opened with a bearer token is closed when the token expires (ws-handshake.ts adds it), as the next
// HTTP request with it would be refused. The sockets that expire at the same moment (a token's `exp` is in
// whole seconds, and an audience shares one stream token) share one timer: a timer per socket, each of a
// different duration, was ~0.4 KB of every socket's memory (docs/benchmarks.md, fanout).

/** Longest delay a Node timer takes (about 24.8 days); a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Moment {
  expiresAt: number;
  sockets: Set<WebSocket>;
  timer: NodeJS.Timeout | undefined;
}

/** Closes each socket with `code` (4401) and `token_expired` when the bearer token that opened it expires. */
export class SocketExpiry {
  private readonly moments = new Map<number, Moment>();
  private readonly of = new Map<WebSocket, Moment>();

  constructor(private readonly code: number) {}

  /**
   * Closes `ws` at `expiresAt` (ms since the epoch), unless it closed before (ws-socket-lifecycle.ts calls
   * remove()).
   */
  add(ws: WebSocket, expiresAt: number): void {
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return; // closed while it authenticated
    if (expiresAt - Date.now() <= 0) {
      ws.close(this.code, 'token_expired');
      return;
    }
    let m = this.moments.get(expiresAt);
    if (!m) {
      m = { expiresAt, sockets: new Set(), timer: undefined };
      this.moments.set(expiresAt, m);
      this.arm(m);
    }
    m.sockets.add(ws);
    this.of.set(ws, m);
  }

  /** The socket closed: forget it (and its moment's timer, when it was the last). */
  remove(ws: WebSocket): void {
    const m = this.of.get(ws);
    if (!m) return;
    this.of.delete(ws);
    m.sockets.delete(ws);
    if (m.sockets.size > 0) return;
    clearTimeout(m.timer);
    this.moments.delete(m.expiresAt);
  }

  /** Sockets waiting for their token's expiry (tests). */
  get size(): number {
    return this.of.size;
  }

  stop(): void {
    for (const m of this.moments.values()) clearTimeout(m.timer);
    this.moments.clear();
    this.of.clear();
  }

  private arm(m: Moment): void {
    const left = m.expiresAt - Date.now();
    if (left > 0) {
      m.timer = setTimeout(() => this.arm(m), Math.min(left, MAX_TIMER_MS));
      m.timer.unref();
      return;
    }
    this.moments.delete(m.expiresAt);
    for (const ws of m.sockets) {
      this.of.delete(ws);
      ws.close(this.code, 'token_expired');
    }
    m.sockets.clear();
  }
}
