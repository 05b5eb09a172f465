import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Ctx, createNodeApi, type Handler, NodeError, type Params, SOLIDITY_ENDPOINTS } from './api.js';
import type { Chain } from './chain.js';
import { jettyNotFound, quickstartRoute } from './quickstart.js';
import { accountTrc20Transactions } from './trongrid.js';

export type FaultKind = '429' | '503' | 'empty' | 'slow';

export interface FaultSpec {
  /** Exact request path (`/wallet/getnowblock`) or a pattern; absent = every path except /devnet/*. */
  path?: string | RegExp;
  kind: FaultKind;
  /** How many matching requests get the fault (default 1; Infinity until clearFaults). */
  times?: number;
  /** For 'slow': delay before the normal answer (default 2 000 ms). */
  delayMs?: number;
}

interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number;
}

/** Test controls served under /devnet/<name> (JSON body in, JSON out). */
export type ControlHandler = (name: string, body: Params) => unknown;

const MAX_BODY_BYTES = 1 << 20;
const TRC20_PATH = /^\/v1\/accounts\/([^/]+)\/transactions\/trc20\/?$/;
const NGINX_503 =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n';

export class DevnetServer {
  private readonly server: Server;
  private readonly api: Record<string, Handler>;
  private faults: ActiveFault[] = [];
  private nextFaultId = 1;

  constructor(
    private readonly chain: Chain,
    private readonly controls: ControlHandler,
  ) {
    this.api = createNodeApi(chain);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          send(res, 500, { Error: `class java.lang.Exception : ${(err as Error).message}` });
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  injectFault(spec: FaultSpec): number {
    const id = this.nextFaultId++;
    this.faults.push({ ...spec, id, remaining: spec.times ?? 1 });
    return id;
  }

  clearFaults(id?: number): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  private takeFault(path: string): ActiveFault | undefined {
    const f = this.faults.find((x) =>
      x.path === undefined
        ? !path.startsWith('/devnet/')
        : typeof x.path === 'string'
          ? x.path === path
          : x.path.test(path),
    );
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://devnet');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const raw = await readBody(req);
    if (raw === undefined) return send(res, 413, { Error: 'class java.lang.Exception : body too large' });

    const fault = this.takeFault(path);
    if (fault?.kind === '429') {
      return send(res, 429, {
        Error: 'request rate exceeded the allowed_rps(15), and the query server is suspended for 1s',
      });
    }
    if (fault?.kind === '503') {
      res.writeHead(503, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(NGINX_503) });
      res.end(NGINX_503);
      return;
    }
    if (fault?.kind === 'empty') return send(res, 200, {});
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 2_000));

    const params: Params = Object.fromEntries(url.searchParams);
    if (raw.trim() !== '') {
      try {
        const body = JSON.parse(raw) as unknown;
        if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(params, body);
      } catch (err) {
        return send(res, 200, {
          Error: `class com.alibaba.fastjson.JSONException : ${(err as Error).message}`,
        });
      }
    }

    if (path === '/healthcheck' || path === '/') return send(res, 200, { status: 'ok' });

    const trc20 = TRC20_PATH.exec(path);
    if (trc20 && req.method === 'GET') {
      const host = req.headers.host ?? 'localhost';
      const r = accountTrc20Transactions(
        this.chain,
        decodeURIComponent(trc20[1] ?? ''),
        url.searchParams,
        `http://${host}`,
      );
      return send(res, r.status, r.body);
    }

    const compat = quickstartRoute(this.chain, path, params);
    if (compat) return send(res, compat.status, compat.body);

    if (path.startsWith('/devnet/')) {
      try {
        return send(res, 200, this.controls(path.slice('/devnet/'.length), params) ?? { ok: true });
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    }

    const m = /^\/(wallet|walletsolidity)\/([A-Za-z0-9]+)$/.exec(path);
    const solid = m?.[1] === 'walletsolidity';
    const name = m?.[2]?.toLowerCase() ?? '';
    const handler = m && (!solid || SOLIDITY_ENDPOINTS.has(name)) ? this.api[name] : undefined;
    if (!handler) {
      const page = jettyNotFound(path);
      res.writeHead(404, {
        'content-type': 'text/html;charset=iso-8859-1',
        'content-length': Buffer.byteLength(page),
      });
      res.end(page);
      return;
    }
    const ctx: Ctx = { solid, visible: params.visible === true || params.visible === 'true' };
    try {
      return send(res, 200, handler(params, ctx));
    } catch (err) {
      if (err instanceof NodeError) return send(res, 200, err.body());
      throw err;
    }
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** java-tron prints with println: every body ends with a newline. */
function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
