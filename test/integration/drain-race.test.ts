import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/context.js';
import { createServer } from '../../src/http/server.js';
import { createLogger } from '../../src/lib/logger.js';

// The shutdown drain (server.drainConnections) at the exact moment a client has written a request the server
// has not read yet: the request must get an answer (our 503 with Connection: close), never a reset. The
// client runs in a process of its own and this process blocks its event loop until the kernel holds the
// request's bytes, so the server reads nothing before the drain begins (the race the e2e shutdown test
// hits by chance under load: `read ECONNRESET` for requests sent just before SIGTERM). Linux only: the
// kernel's queues are read from /proc/net/tcp.
const config = loadConfig({ MASTER_KEY: 'ab'.repeat(32) });
let server: FastifyInstance | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function listening(
  setup?: (app: FastifyInstance) => void,
): Promise<{ app: FastifyInstance; port: number }> {
  const app = createServer({ config, log: createLogger('silent') } as Services);
  app.post('/t', async () => ({ ok: true }));
  setup?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = app;
  return { app, port: (app.server.address() as { port: number }).port };
}

interface ClientResult {
  answers: { status: number; connection: string | undefined }[];
  error?: string;
}

/**
 * A client process: one connection, `requests` POSTs written one after the other (the next as soon as the
 * previous answer is complete), until the server closes the connection; reports the answers and any error.
 */
function client(port: number, requests: number): Promise<ClientResult> {
  const script = `
    const body = '{"a":1}';
    const request = 'POST /t HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: ' +
      body.length + '\\r\\n\\r\\n' + body;
    const socket = require('node:net').connect(${port}, '127.0.0.1');
    const result = { answers: [] };
    let data = '';
    let sent = 1;
    socket.write(request);
    socket.on('data', (d) => {
      data += d;
      for (;;) {
        const end = data.indexOf('\\r\\n\\r\\n');
        if (end < 0) return;
        const head = data.slice(0, end);
        const length = Number(/content-length: *(\\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        data = data.slice(end + 4 + length);
        result.answers.push({
          status: Number(head.split(' ')[1]),
          connection: /\\r\\nconnection: *([^\\r]*)/i.exec(head)?.[1]?.toLowerCase(),
        });
        if (sent < ${requests}) {
          sent++;
          socket.write(request);
        }
      }
    });
    socket.on('error', (err) => { result.error = err.syscall + ' ' + err.code; });
    socket.on('close', () => process.stdout.write(JSON.stringify(result)));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out) as ClientResult));
  });
}

/**
 * Blocks this process (its event loop reads and accepts nothing meanwhile) until the kernel holds unread
 * bytes on an established connection to `port`: a request the server has not read yet.
 */
function blockUntilUnreadRequest(port: number, timeoutMs = 20_000): void {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const waiting = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .some(
        ([, localAddress, , state, queues]) =>
          localAddress?.endsWith(local) && state === '01' && Number.parseInt(queues!.split(':')[1]!, 16) > 0,
      );
    if (waiting) return;
  }
  throw new Error(`no unread request on port ${port} within ${timeoutMs} ms`);
}

describe.skipIf(process.platform !== 'linux')('drain at the moment a request is written', () => {
  it('answers a request written into a connection still in the accept queue (503, Connection: close), not a reset', async () => {
    const { app, port } = await listening();
    const answered = client(port, 1);
    // The client connects (the kernel completes the handshake without the server) and writes its request;
    // the server has accepted nothing when the drain begins.
    blockUntilUnreadRequest(port);
    await app.drainConnections(2000);
    expect(await answered).toEqual({ answers: [{ status: 503, connection: 'close' }] });
  });

  it('answers a request written onto an idle keep-alive connection as the drain begins (503, Connection: close)', async () => {
    let drained: Promise<void> | undefined;
    // Once the first answer has left, the client writes its second request at once; the server reads it
    // only after the drain began.
    const { port } = await listening((app) =>
      app.addHook('onResponse', async () => {
        if (drained) return;
        blockUntilUnreadRequest((app.server.address() as { port: number }).port);
        drained = app.drainConnections(2000);
      }),
    );
    const result = await client(port, 2);
    await drained;
    expect(result).toEqual({
      answers: [
        { status: 200, connection: 'keep-alive' },
        { status: 503, connection: 'close' },
      ],
    });
  });

  // What no server can do: a connection whose handshake the kernel completes after the drain's last accept,
  // as the listener closes, is reset by the kernel with the listening socket's accept queue (the e2e shutdown
  // test's `read ECONNRESET` for a fetch called just before SIGTERM whose connection came late). This pins
  // the window down and shows what the e2e test relies on when it lets that reset pass: the server read
  // nothing of that request and ran nothing for it.
  it('a connection completed between the last accept and the listener close is reset unread: nothing ran for it', async () => {
    const seen: string[] = [];
    const { app, port } = await listening((a) =>
      a.addHook('onRequest', async (req) => {
        seen.push(req.url);
      }),
    );
    let reset: Promise<ClientResult> | undefined;
    const listeningNow = Object.getOwnPropertyDescriptor(NetServer.prototype, 'listening')!.get!;
    // drainConnections asks whether the server still listens after its last accept, just before closing:
    // the client connects and writes its request then.
    Object.defineProperty(app.server, 'listening', {
      configurable: true,
      get() {
        if (!reset) {
          reset = client(port, 1);
          blockUntilUnreadRequest(port);
        }
        return listeningNow.call(this);
      },
    });
    await app.drainConnections(2000);
    expect(await reset).toEqual({ answers: [], error: 'read ECONNRESET' });
    expect(seen).toEqual([]);
  });
});
