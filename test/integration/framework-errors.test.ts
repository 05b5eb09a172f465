import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/context.js';
import { createServer } from '../../src/http/server.js';
import { createLogger } from '../../src/lib/logger.js';

// Errors that Fastify or Node's HTTP parser raise before any route runs still answer in our error format
// ({"error": {code, message, requestId}}, with X-Request-Id), over a real socket.
const config = { ...loadConfig({ MASTER_KEY: 'ab'.repeat(32) }), bodyLimitBytes: 2048 };
const server = createServer({ config, log: createLogger('silent') } as Services);
server.get('/p/:id', async (req) => ({ id: (req.params as { id: string }).id }));
server.post('/echo', async (req) => req.body);
/** `/slow` answers once the test lets it: `entered` resolves when a request is in it, `release()` lets it answer. */
const slow = gate();
server.get('/slow', async () => {
  slow.enter();
  await slow.released;
  return { slow: true };
});

function gate() {
  let enter = () => {};
  let release = () => {};
  const entered = new Promise<void>((r) => {
    enter = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  return { entered, enter, released, release };
}
let port = 0;

beforeAll(async () => {
  await server.listen({ port: 0, host: '127.0.0.1' });
  port = (server.server.address() as { port: number }).port;
});
afterAll(async () => {
  await server.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** Sends raw bytes; returns every response on the connection, parsed, until the server closes it. */
function raw(bytes: string | Buffer, after?: (write: (b: string) => void) => void): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let data = Buffer.alloc(0);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponses(data.toString('utf8'))));
    socket.write(bytes);
    after?.((b) => socket.write(b));
    setTimeout(() => socket.end(), 3000);
  });
}

function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length']);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) });
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

function expectOurs(r: RawResponse, status: number, code: string, message: RegExp) {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.body).toEqual({
    error: { code, message: expect.stringMatching(message), requestId: expect.stringMatching(/^req_/) },
  });
  expect(r.headers['x-request-id']).toBe(r.body.error.requestId);
}

const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

describe('framework errors in our error format', () => {
  it('414 for a path parameter over maxParamLength, 400 for a malformed URL', async () => {
    const [long] = await raw(`${get(`/p/${'a'.repeat(101)}`, 'Connection: close\r\n')}`);
    expectOurs(long!, 414, 'invalid_request', /path parameter is too long/);
    const [bad] = await raw(get('/p/%E0%A4%A', 'Connection: close\r\n'));
    expectOurs(bad!, 400, 'invalid_request', /URL is not valid/);
    const [ok] = await raw(get(`/p/${'a'.repeat(100)}`, 'Connection: close\r\n'));
    expect([ok!.status, ok!.body.id.length]).toEqual([200, 100]);
  });

  it('414 for a URL longer than the header limit, 431 for headers over it, 400 for garbage', async () => {
    const [uri] = await raw(get(`/p/x?q=${'a'.repeat(20_000)}`));
    expectOurs(uri!, 414, 'invalid_request', /URL is too long/);
    expect(uri!.headers.connection).toBe('close');
    const [headers] = await raw(get('/p/x', `X-Big: ${'a'.repeat(20_000)}\r\n`));
    expectOurs(headers!, 431, 'invalid_request', /headers are too large/);
    const [garbage] = await raw('HELLO THERE\r\n\r\n');
    expectOurs(garbage!, 400, 'invalid_request', /not valid HTTP/);
  });

  it('400 for invalid JSON and for another content type, 413 for a body over the limit', async () => {
    const post = (body: string, type = 'application/json') =>
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const [json] = await raw(post('{"a":'));
    expectOurs(json!, 400, 'invalid_request', /not valid JSON/);
    const [type] = await raw(post('a=1', 'application/x-www-form-urlencoded'));
    expectOurs(type!, 400, 'invalid_request', /Content-Type must be application\/json/);
    const [big] = await raw(post(JSON.stringify({ text: 'x'.repeat(3000) })));
    expectOurs(big!, 413, 'payload_too_large', /larger than 2 KB/);
  });

  it('404 for an unknown route', async () => {
    const [r] = await raw(get('/nope', 'Connection: close\r\n'));
    expectOurs(r!, 404, 'not_found', /No route GET \/nope/);
  });

  it('503 with Connection: close for a request that arrives while the server closes; in-flight ones finish', async () => {
    // Two pipelined requests on one connection: the first is in flight when close() starts, the second
    // is read after it.
    let closing: Promise<void> | undefined;
    // The second request has been read once the HTTP server emits it; only then may the first one answer.
    const secondRead = new Promise<void>((resolve) => {
      const seen = (req: { url?: string }) => {
        if (req.url !== '/p/after-close') return;
        server.server.off('request', seen);
        setImmediate(resolve); // after Fastify's own listener has handled it
      };
      server.server.on('request', seen);
    });
    const responses = await raw(get('/slow'), (write) => {
      void (async () => {
        await slow.entered;
        closing = server.close();
        write(get('/p/after-close'));
        await secondRead;
        slow.release();
      })();
    });
    await closing;
    expect(responses).toHaveLength(2);
    expect([responses[0]!.status, responses[0]!.body]).toEqual([200, { slow: true }]);
    expectOurs(responses[1]!, 503, 'service_unavailable', /shutting down/);
    expect(responses[1]!.headers.connection).toBe('close');
    expect(responses[1]!.headers['retry-after']).toBe('1');
  });
});
