import type { WebSocket } from 'ws';

/** Sockets by the credential that opened them, to close them when it is revoked. */
export class SocketIndex {
  private readonly sockets = new Map<string, Set<WebSocket>>();

  add(id: string, ws: WebSocket): void {
    // Closed while it authenticated: its 'close' has fired already, so it would stay here (and in every
    // revocation sweep's query) for as long as the process runs.
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
    const set = this.sockets.get(id) ?? new Set();
    set.add(ws);
    this.sockets.set(id, set);
    ws.once('close', () => {
      set.delete(ws);
      if (set.size === 0 && this.sockets.get(id) === set) this.sockets.delete(id);
    });
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
