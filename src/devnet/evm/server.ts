import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { JsonRpcHandler } from 'hardhat/internal/hardhat-network/jsonrpc/handler.js';
import type { EIP1193Provider } from 'hardhat/types/provider.js';
import { WebSocketServer } from 'ws';
import type { Faults } from './faults.js';

const MAX_BODY_BYTES = 16 << 20;
const NGINX_503 =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/**
 * JSON-RPC over HTTP (POST, batches too) and WebSocket (eth_subscribe) on one port, answered by Hardhat's own
 * JsonRpcHandler (what `hardhat node` serves). HTTP faults (429/503/slow) are applied here, per HTTP request,
 * before the body reaches Hardhat; call-level limits live in the provider this server is given.
 */
export class EvmRpcServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly handler: JsonRpcHandler;

  constructor(
    provider: EIP1193Provider,
    private readonly faults: Faults,
  ) {
    this.handler = new JsonRpcHandler(provider);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, rpcError(null, -32603, (err as Error).message));
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws) => void this.handler.handleWs(ws as never));
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return sendJson(res, 413, rpcError(null, -32600, 'request body too large'));
    const fault = this.faults.hasHttp() ? this.faults.takeHttp(methodsOf(body)) : undefined;
    if (fault?.kind === '429') {
      const msg =
        'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.';
      return sendJson(res, 429, rpcError(idOf(body), 429, msg));
    }
    if (fault?.kind === '503') {
      res.writeHead(503, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(NGINX_503) });
      res.end(NGINX_503);
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 2_000));
    // Hardhat's handler reads the body itself: hand it a replay of the bytes already read.
    const replay = Object.assign(Readable.from([body]), {
      method: req.method,
      url: req.url,
      headers: req.headers,
    });
    await this.handler.handleHttp(replay as unknown as IncomingMessage, res);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function methodsOf(body: Buffer): string[] {
  const json = parse(body);
  const calls = Array.isArray(json) ? json : [json];
  return calls.map((c) => (c && typeof c === 'object' ? String((c as { method?: unknown }).method) : ''));
}

function idOf(body: Buffer): unknown {
  const json = parse(body);
  return json && typeof json === 'object' && !Array.isArray(json)
    ? ((json as { id?: unknown }).id ?? null)
    : null;
}

const rpcError = (id: unknown, code: number, message: string) => ({
  jsonrpc: '2.0',
  id,
  error: { code, message },
});

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
