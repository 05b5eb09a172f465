import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

export interface Received {
  body: string;
  json: any;
  headers: IncomingMessage['headers'];
  at: number;
}

/** What a receiver answers a request: a status, 'hang' (200 after `hangMs`), or a status once it is known. */
type Answer = number | 'hang' | Promise<number>;

/**
 * A real local HTTP receiver for webhook tests. `respond` decides each answer: a status, 'hang' to
 * answer after `hangMs`, or a promise of a status (answered when the test settles it). Counts requests by
 * event id.
 */
export async function startReceiver(port = 0) {
  const received: Received[] = [];
  let respond: (r: Received, n: number) => Answer = () => 200;
  let hangMs = 2000;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const r: Received = { body, json, headers: req.headers, at: Date.now() };
      received.push(r);
      const answer = respond(r, received.length);
      const send = (status: number) => {
        if (!res.writableEnded)
          res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
      };
      if (answer === 'hang') setTimeout(() => send(200), hangMs);
      else if (typeof answer === 'number') send(answer);
      else void answer.then(send);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    received,
    /** How many times each event id arrived. */
    countsById(): Map<string, number> {
      const m = new Map<string, number>();
      for (const r of received) m.set(r.json?.id, (m.get(r.json?.id) ?? 0) + 1);
      return m;
    },
    setResponder(fn: (r: Received, n: number) => Answer, hang = 2000) {
      respond = fn;
      hangMs = hang;
    },
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false && v !== undefined && v !== null) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw lastError instanceof Error ? lastError : new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The receivers a test file starts (push them here): each is closed after the file's tests. */
export function useReceivers(): Receiver[] {
  const receivers: Receiver[] = [];
  afterAll(async () => {
    for (const r of receivers) await r.close();
  });
  return receivers;
}
