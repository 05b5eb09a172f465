import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { QUEUE } from '../../jobs/queues.js';
import type { Services } from '../context.js';
import { AppError, errorBody } from '../lib/errors.js';
import type { OpsMetrics } from '../ops/metrics.js';
import type { Ops } from '../ops/open.js';
import { cookieOptions } from './cookies.js';

// Ops surfaces, both behind the admin token: Prometheus metrics at /metrics (Authorization: Bearer, or the
// METRICS_TOKEN bearer; with OPS_PORT set, only on that port and without auth) and the Bull Board queue
// dashboard at /admin/queues (a bearer, or a cookie set from `?token=` once).

export const QUEUES_PATH = '/admin/queues';
export const ADMIN_COOKIE = 'novapay_admin';
const COOKIE_PATH = '/admin';

type AdminCheck =
  | { ok: true; exp: number }
  | { ok: false; status: 401 | 403; code: 'invalid_token' | 'forbidden'; message: string };

async function checkAdmin(services: Services, token: string | undefined): Promise<AdminCheck> {
  if (!token) {
    return {
      ok: false,
      status: 401,
      code: 'invalid_token',
      message: 'An admin token is required: Authorization: Bearer <admin token>',
    };
  }
  try {
    const claims = await services.tokens.verify(token);
    if (claims.kind === 'admin') return { ok: true, exp: claims.exp };
    return { ok: false, status: 403, code: 'forbidden', message: 'This needs an admin token' };
  } catch (err) {
    const message = err instanceof AppError ? err.message : 'The token is not valid';
    return { ok: false, status: 401, code: 'invalid_token', message };
  }
}

function refuse(req: FastifyRequest, reply: FastifyReply, c: Extract<AdminCheck, { ok: false }>) {
  return reply
    .code(c.status)
    .header('cache-control', 'no-store')
    .send(errorBody(c.code, c.message, req.id));
}

/** The bearer token, `undefined` without an Authorization header, `''` when the header is malformed. */
function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(h)?.[1] ?? '';
}

/**
 * The dashboard's gate. `?token=<admin token>` on a GET is checked once, exchanged for an HttpOnly cookie
 * and redirected away (so the token leaves the address bar); afterwards the cookie, or a bearer header,
 * is checked on every request, static files included.
 */
async function queuesGate(services: Services, req: FastifyRequest, reply: FastifyReply) {
  const q = req.url.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  const fromQuery = query.get('token');
  if (fromQuery !== null && (req.method === 'GET' || req.method === 'HEAD')) {
    const c = await checkAdmin(services, fromQuery);
    if (!c.ok) return refuse(req, reply, c);
    query.delete('token');
    // The path as routed (it starts with /admin/queues), so the redirect cannot leave this site.
    const rest = query.toString();
    const maxAge = Math.max(0, c.exp - Math.floor(Date.now() / 1000));
    return reply
      .setCookie(ADMIN_COOKIE, fromQuery, cookieOptions(COOKIE_PATH, maxAge, true))
      .header('cache-control', 'no-store')
      .redirect(req.url.slice(0, q) + (rest ? `?${rest}` : ''), 303);
  }
  const bearer = bearerOf(req);
  const c = await checkAdmin(services, bearer ?? req.cookies[ADMIN_COOKIE]);
  if (!c.ok) return refuse(req, reply, c);
  return undefined;
}

/** Serves /metrics and /admin/queues from what the composition root opened (src/ops/open.ts). */
export async function registerOps(server: FastifyInstance, services: Services, ops: Ops): Promise<void> {
  server.addHook('onResponse', async (req, reply) => {
    ops.metrics.observeRequest(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime);
  });
  registerMetricsEndpoint(server, services, ops.metrics);

  await server.register(async (scope) => {
    scope.addHook('onRequest', (req, reply) => queuesGate(services, req, reply));
    const adapter = new FastifyAdapter();
    adapter.setBasePath(QUEUES_PATH);
    const board = createBullBoard({
      queues: ops.queues.map(
        (q) =>
          // Chain-scan jobs are driven by job schedulers the workers own: look, do not touch.
          new BullMQAdapter(q, { readOnlyMode: q.name !== QUEUE.webhooks, allowRetries: true }),
      ),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'NovaPay queues' } },
    });
    ops.onQueueAdded((q) => board.addQueue(new BullMQAdapter(q, { readOnlyMode: true })));
    await scope.register(adapter.registerPlugin(), { prefix: QUEUES_PATH });
  });
}

/** Compares without leaking how much of the token matched. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * /metrics on the public port, behind an admin bearer token or METRICS_TOKEN; or, with OPS_PORT set, only on
 * that port (OPS_HOST, 127.0.0.1 by default) without auth, for a scraper on the same host or network.
 */
function registerMetricsEndpoint(server: FastifyInstance, services: Services, metrics: OpsMetrics): void {
  const { metricsToken, opsPort, opsHost } = services.config;
  const send = async (reply: FastifyReply) =>
    reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.render());
  if (opsPort === null) {
    server.get('/metrics', async (req, reply) => {
      const bearer = bearerOf(req);
      if (!(metricsToken && bearer && sameToken(bearer, metricsToken))) {
        const c = await checkAdmin(services, bearer);
        if (!c.ok) return refuse(req, reply, c);
      }
      return send(reply);
    });
    return;
  }
  const ops = Fastify({ logger: false, forceCloseConnections: true });
  ops.get('/metrics', async (_req, reply) => send(reply));
  ops.get('/healthz', async () => ({ status: 'ok' }));
  server.addHook('onListen', async () => {
    const address = await ops.listen({ port: opsPort, host: opsHost });
    services.log.info({ address }, `metrics on the ops port: ${address}/metrics`);
  });
  server.addHook('preClose', async () => {
    await ops.close();
  });
}
