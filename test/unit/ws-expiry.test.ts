import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { SocketExpiry } from '../../src/http/ws-expiry.js';

// Sockets opened with a bearer token close with 4401 `token_expired` when it expires (src/http/ws-expiry.ts);
// those expiring at the same moment share one timer. On vitest's fake clock, with stand-in sockets.

const OPEN = 1;
const CLOSED = 3;

function socket() {
  const closes: [number, string][] = [];
  const ws = {
    readyState: OPEN,
    CLOSING: 2,
    CLOSED,
    close(code: number, reason: string) {
      closes.push([code, reason]);
      ws.readyState = CLOSED;
    },
  };
  return { ws: ws as unknown as WebSocket, closes };
}

describe('closing sockets when their token expires', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes every socket of an expiry at that moment, with one timer for all of them', () => {
    const expiry = new SocketExpiry(4401);
    const at = Date.now() + 60_000;
    const audience = Array.from({ length: 1_000 }, socket);
    for (const s of audience) expiry.add(s.ws, at);
    const later = socket();
    expiry.add(later.ws, at + 1_000);
    expect(vi.getTimerCount()).toBe(2);
    expect(expiry.size).toBe(1_001);

    vi.advanceTimersByTime(59_999);
    expect(audience.every((s) => s.closes.length === 0)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(audience.every((s) => s.closes.length === 1 && s.closes[0]![1] === 'token_expired')).toBe(true);
    expect(audience[0]!.closes[0]![0]).toBe(4401);
    expect(later.closes).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(later.closes).toEqual([[4401, 'token_expired']]);
    expect(expiry.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('forgets a socket that closed first, and its timer with the last one', () => {
    const expiry = new SocketExpiry(4401);
    const at = Date.now() + 60_000;
    const a = socket();
    const b = socket();
    expiry.add(a.ws, at);
    expiry.add(b.ws, at);
    expiry.remove(a.ws);
    expect(expiry.size).toBe(1);
    expiry.remove(b.ws);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect([a.closes, b.closes]).toEqual([[], []]);
  });

  it('closes at once a socket whose token expired while it authenticated, and skips a closed one', () => {
    const expiry = new SocketExpiry(4401);
    const expired = socket();
    expiry.add(expired.ws, Date.now());
    expect(expired.closes).toEqual([[4401, 'token_expired']]);
    const closed = socket();
    closed.ws.close(1000, 'bye');
    expiry.add(closed.ws, Date.now() + 1_000);
    expect(expiry.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits past the longest timer a Node timer takes, and stop() clears every timer', () => {
    const expiry = new SocketExpiry(4401);
    const far = socket();
    const days40 = 40 * 86_400_000;
    expiry.add(far.ws, Date.now() + days40);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(far.closes).toEqual([]);
    vi.advanceTimersByTime(days40 - (2 ** 31 - 1));
    expect(far.closes).toEqual([[4401, 'token_expired']]);

    const stopped = socket();
    expiry.add(stopped.ws, Date.now() + 1_000);
    expiry.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(stopped.closes).toEqual([]);
  });
});
