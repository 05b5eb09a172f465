import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../context.js';
import { AppError, errorBody } from '../lib/errors.js';
import { MAX_TOKEN_PARENTS } from '../modules/merchants/index.js';
import { cookieOptions } from './cookies.js';
import { ADMIN_COOKIE } from './ops.js';
import { CSRF_COOKIE, CSRF_HEADER, PORTAL_COOKIE, type PortalSessions, sameHost } from './portal-session.js';
import type { SendPage } from './web.js';

// The ops portal's routes: sign-in and sign-out, and the portal page, which needs the session (everything
// but the login page does). The session and its CSRF value are portal-session.ts's.

/** A portal session lasts at most this long, and never longer than the admin token it came from. */
const SESSION_MAX_SECONDS = 12 * 3600;

const LoginBody = z.object({ token: z.string().trim().min(1) });

export function registerPortal(
  server: FastifyInstance,
  services: Services,
  sessions: PortalSessions,
  sendPage: SendPage,
): void {
  const { log } = services;

  /** The session's admin claims, or null (no cookie, a bad or expired token, or not an admin token). */
  async function session(req: FastifyRequest) {
    const token = req.cookies[PORTAL_COOKIE];
    if (!token) return null;
    try {
      const c = await services.tokens.verify(token);
      return c.kind === 'admin' ? { token, ...c } : null;
    } catch {
      return null;
    }
  }

  /** The three cookies of a session (the session, its CSRF value, the queue dashboard's), or their removal. */
  function setCookies(reply: FastifyReply, s: { token: string; csrf: string; ttl: number } | null) {
    const ttl = s?.ttl ?? 0;
    reply.setCookie(PORTAL_COOKIE, s?.token ?? '', cookieOptions('/', ttl, true));
    reply.setCookie(CSRF_COOKIE, s?.csrf ?? '', cookieOptions('/', ttl, false));
    // The queue dashboard's own cookie, so /admin/queues opens from the portal without a token in a URL.
    reply.setCookie(ADMIN_COOKIE, s?.token ?? '', cookieOptions('/admin', ttl, true));
  }

  function refuse(req: FastifyRequest, reply: FastifyReply, hadCookie: boolean) {
    if (hadCookie) setCookies(reply, null);
    reply.header('cache-control', 'no-store');
    if ((req.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(hadCookie ? '/portal/login?expired=1' : '/portal/login', 303);
    }
    return reply
      .code(401)
      .send(errorBody('invalid_token', 'Sign in to the ops portal first: POST /portal/login', req.id));
  }

  server.get('/portal/login', async (req, reply) => {
    if (await session(req)) return reply.header('cache-control', 'no-store').redirect('/portal', 303);
    return sendPage(req, reply, 'login');
  });

  server.post<{ Body: unknown }>('/portal/login', async (req, reply) => {
    // JSON only (the server parses nothing else) and same-origin: a cross-site page cannot post JSON here
    // without a CORS preflight, which this server never grants.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && !sameHost(origin, req.headers.host)) {
      throw new AppError('forbidden', 'Sign in from the portal page of this server');
    }
    const body = LoginBody.safeParse(req.body);
    if (!body.success) throw new AppError('invalid_request', 'token is required', 'token');
    const claims = await services.tokens.verify(body.data.token); // invalid_token: bad or expired
    if (claims.kind !== 'admin') throw new AppError('forbidden', 'The portal needs an admin token');
    const ttl = Math.min(SESSION_MAX_SECONDS, claims.exp - Math.floor(Date.now() / 1000));
    if (ttl <= 0) throw new AppError('invalid_token', 'The token has expired');
    // A session token of its own: the admin token from the CLI is not kept in the browser.
    // It names the tokens it comes from: revoking any of them (a leaked CLI token) ends it too.
    const parents = [...claims.parents, claims.jti];
    if (parents.length > MAX_TOKEN_PARENTS)
      throw new AppError('invalid_token', 'Sign in with an admin token from the CLI', 'token');
    const s = await services.tokens.issueAdmin(ttl, claims.subject, parents);
    setCookies(reply, { token: s.token, csrf: sessions.csrfFor(s.token), ttl });
    log.info({ subject: claims.subject, requestId: req.id }, 'portal sign-in');
    return reply
      .header('cache-control', 'no-store')
      .send({ ok: true, subject: claims.subject, expiresAt: s.expiresAt.toISOString() });
  });

  server.post('/portal/logout', {
    // With a session cookie, only with its CSRF header (@fastify/csrf-protection); without one there is
    // nothing to end but the cookies.
    onRequest: (req, reply, done) => {
      if (!req.cookies[PORTAL_COOKIE]) return done();
      server.csrfProtection(req, reply, done);
    },
    errorHandler: (err, _req, _reply) => {
      if ((err as { code?: string }).code?.startsWith('FST_CSRF_')) {
        throw new AppError('forbidden', `Signing out needs the ${CSRF_HEADER} header`);
      }
      throw err;
    },
    handler: async (req, reply) => {
      // Signing out ends the session on the server: the token is revoked (by its jti), so neither the cookie
      // nor the same token sent as a Bearer works again, on any instance. A token that no longer verifies
      // (expired, or already revoked) has nothing left to revoke.
      const token = req.cookies[PORTAL_COOKIE];
      if (token) {
        await services.tokens.revoke(token, 'portal sign-out').catch((err) => {
          if (!(err instanceof AppError && err.code === 'invalid_token')) throw err;
        });
      }
      setCookies(reply, null);
      return reply.header('cache-control', 'no-store').send({ ok: true });
    },
  });

  const portal = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await session(req))) return refuse(req, reply, req.cookies[PORTAL_COOKIE] !== undefined);
    return sendPage(req, reply, 'portal');
  };
  server.get('/portal', portal);
  server.get('/portal/', portal);
  server.get('/portal/*', async (req, reply) => {
    if (!(await session(req))) return refuse(req, reply, req.cookies[PORTAL_COOKIE] !== undefined);
    return reply.code(404).send(errorBody('not_found', `No portal page ${req.url.split('?')[0]}`, req.id));
  });
}
