import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { useTestApp } from '../helpers/app.js';
import { wsUrlOf } from '../helpers/mixtures.js';
import { eventually } from '../helpers/receiver.js';

// The web pages' live client (web/src/lib/graphql.ts liveClient: the payment page, the overlay, the portal)
// against the real server. It reconnects for ever unless the token is refused (4401), 4429 `rate_limited` at
// connection_init included, which graphql-ws's client gives up on whatever its shouldRetry says, and a socket
// that is never acknowledged.
const t = useTestApp({ pageTokenRateLimitPerSecond: 3 });

// The pages' code is built for browsers (web/tsconfig.json), not for this project's tsc: loaded by its path.
const LIB = '../../web/src/lib/graphql.ts';
type Unsubscribe = () => void;
interface LiveClient {
  on(event: 'closed', listener: (e: unknown) => void): Unsubscribe;
  subscribe(
    payload: { query: string },
    sink: { next(v: unknown): void; error(e: unknown): void; complete(): void },
  ): Unsubscribe;
  dispose(): Promise<void>;
}
type LiveClientFn = (
  token: string,
  onState: (s: string, detail?: string) => void,
  extra: Record<string, unknown>,
) => LiveClient;

const STREAM_TOKEN = `mutation($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } } }`;

describe('the web pages live client', () => {
  it('comes back after its connection_init was refused with 4429 rate_limited', async () => {
    const { liveClient } = (await import(/* @vite-ignore */ LIB)) as { liveClient: LiveClientFn };
    const url = await wsUrlOf(t);
    const m = await t.merchant();
    const token = (await t.graphql(m, STREAM_TOKEN, { s: 'live_1' })).body.data.createStreamToken.token;
    // The stream token's budget for this second spent over HTTP: the socket's connection_init is refused.
    for (let i = 0; ; i++) {
      const r = await t.graphql({ bearer: token }, '{ __typename }');
      if (r.status === 429) break;
      expect(i).toBeLessThan(10);
    }
    const states: string[] = [];
    const closes: number[] = [];
    const errors: unknown[] = [];
    const client = liveClient(token, (s) => states.push(s), {
      url,
      webSocketImpl: WebSocket,
      onNonLazyError: () => {}, // graphql-ws logs the close it gave up on
    });
    client.on('closed', (e) => closes.push((e as { code: number }).code));
    const stop = client.subscribe(
      { query: 'subscription { donationReceived(streamId: "live_1") { id } }' },
      { next: () => {}, error: (e) => errors.push(e), complete: () => {} },
    );
    try {
      await eventually(() => closes.includes(4429), 10_000);
      await eventually(() => states.includes('live'), 15_000).catch(() => {
        throw new Error(
          `never live again after 4429: states ${states.join(', ')}; closes ${closes.join(', ')}`,
        );
      });
      expect(errors).toEqual([]);
    } finally {
      stop();
      await client.dispose();
    }
  });

  it('makes a new socket when the server accepted one and never acknowledged it', async () => {
    const { liveClient } = (await import(/* @vite-ignore */ LIB)) as { liveClient: LiveClientFn };
    // A server that answers pings but leaves its first socket's connection_init unanswered (a check that
    // never returns), and acknowledges every later one.
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      handleProtocols: () => 'graphql-transport-ws',
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    let sockets = 0;
    wss.on('connection', (ws) => {
      const n = ++sockets;
      ws.on('message', (data) => {
        const type = (JSON.parse(String(data)) as { type: string }).type;
        if (type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        if (type === 'connection_init' && n > 1) ws.send(JSON.stringify({ type: 'connection_ack' }));
      });
    });
    const states: string[] = [];
    const client = liveClient('a.b.c', (s) => states.push(s), {
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/graphql`,
      webSocketImpl: WebSocket,
    });
    const stop = client.subscribe(
      { query: 'subscription { donationReceived(streamId: "live_1") { id } }' },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    try {
      await eventually(() => states.includes('live'), 20_000).catch(() => {
        throw new Error(`never live: states ${states.join(', ')}; sockets ${sockets}`);
      });
      expect(sockets).toBe(2);
    } finally {
      stop();
      for (const ws of wss.clients) ws.terminate();
      await client.dispose().catch(() => undefined); // a socket still unacknowledged rejects it
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
