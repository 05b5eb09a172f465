import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';

// A wave of closed WebSockets starts one major GC (src/http/ws-heap-release.ts), so the process's memory
// comes back after a stream ends; tested here through real sockets with a low threshold (the default is 1,000).
// 40 sockets open at once from 127.0.0.1 without connection_init: past the default per-address cap (32).
const t = useTestApp({ wsHeapReleaseAfterCloses: 20, wsMaxPendingPerAddress: 64 });
let url = '';
beforeAll(async () => {
  url = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

async function openSockets(n: number): Promise<WebSocket[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const ws = new WebSocket(url, 'graphql-transport-ws');
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return ws;
    }),
  );
}

describe('memory after a wave of closed sockets', () => {
  it('is released once the wave is over, once per wave', async () => {
    const sockets = t.app.sockets!;
    const before = sockets.heapReleases();
    const close = (list: WebSocket[]) =>
      Promise.all(list.map((ws) => new Promise((resolve) => ws.once('close', resolve).close())));
    const first = await openSockets(30);
    // 25 of 30 closed: past the threshold (20) and more than half the peak gone.
    await close(first.slice(0, 25));
    await eventually(() => sockets.heapReleases() === before + 1, 10_000);
    // The next wave is judged from what stayed open (5): 40 more, then all 45 closed.
    const second = await openSockets(40);
    await close([...first.slice(25), ...second]);
    await eventually(() => sockets.heapReleases() === before + 2, 10_000);
    expect(sockets.heapReleases()).toBe(before + 2);
  });
});
