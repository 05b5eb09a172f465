import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../context.js';
import { deriveKey, hmacSha256Hex, safeEqualHex } from '../lib/crypto.js';
import { AppError, errorBody } from '../lib/errors.js';
import type { Authenticator } from './auth.js';
import { cookieOf } from './cookies.js';
import { ADMIN_COOKIE } from './ops.js';
import { ensureWebBuild, type PAGES, WEB_DIST, webBuildState } from './web-build.js';

export { ensureWebBuild, WEB_DIST, WEB_ROOT, webBuildState } from './web-build.js';

// The browser pages (web/, built by Vite into web/dist): the payment page /pay/:depositId, the donation
// overlay /overlay and the ops portal /portal, with their hashed assets under /web/assets/. The pages talk to
// the API only through GraphQL and graphql-ws with the token in their URL (deposit or stream token) or, for
// the portal, an admin session held in an HttpOnly cookie that /graphql accepts only together with the
// x-portal-csrf header (see `portalSessionToken`).
//
// The build: `npm run build`. Outside production a missing or stale build (web/ newer than web/dist) is made
// here with Vite's API: at start-up in the background, or on the first page request (tests). Production never
// builds at run time: a missing build answers 503 and is logged.

type Page = (typeof PAGES)[number];

export const PORTAL_COOKIE = 'novapay_portal';
export const CSRF_COOKIE = 'novapay_portal_csrf';
export const CSRF_HEADER = 'x-portal-csrf';
/** A portal session lasts at most this long, and never longer than the admin token it came from. */
const SESSION_MAX_SECONDS = 12 * 3600;

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

// ---- Cookies and the portal session ----------------------------------------------------------------------

function cookie(
  req: FastifyRequest,
  name: string,
  value: string,
  o: { path: string; maxAge: number; httpOnly: boolean },
) {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  const httpOnly = o.httpOnly ? '; HttpOnly' : '';
  return `${name}=${encodeURIComponent(value)}; Path=${o.path}; Max-Age=${o.maxAge}${httpOnly}; SameSite=Strict${secure}`;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The CSRF value of a session: an HMAC of the session token under a key of its own. The page reads it from a
 * non-HttpOnly cookie and sends it back as a header; a request from another site can make the browser send
 * the cookies (SameSite=Strict already stops that in current browsers) but can neither read them nor forge
 * the value.
 */
function csrfFor(key: Buffer, session: string): string {
  return hmacSha256Hex(key, session);
}

/** The portal session token of a request that also carries the matching CSRF header; null otherwise. */
export function portalSessionToken(req: FastifyRequest, csrfKey: Buffer): string | null {
  const session = cookieOf(req, PORTAL_COOKIE);
  const sent = header(req, CSRF_HEADER);
  if (!session || !sent) return null;
  return safeEqualHex(csrfFor(csrfKey, session), sent) ? session : null;
}

/**
 * The portal session of a WebSocket: the session cookie of the upgrade request, together with the CSRF value
 * the page sends in `connection_init` ({portalCsrf}), from a page of this server (Origin, when sent, names
 * this host). The same rule as /graphql's cookie + x-portal-csrf header; null otherwise.
 */
export function portalSocketSession(
  req: Pick<FastifyRequest, 'headers'>,
  csrf: string,
  csrfKey: Buffer,
): string | null {
  const origin = header(req as FastifyRequest, 'origin');
  if (origin) {
    let sameHost = false;
    try {
      sameHost = new URL(origin).host === req.headers.host;
    } catch {}
    if (!sameHost) return null;
  }
  const session = cookieOf(req, PORTAL_COOKIE);
  if (!session || !csrf) return null;
  return safeEqualHex(csrfFor(csrfKey, session), csrf) ? session : null;
}

// ---- Pages -------------------------------------------------------------------------------------------

function csp(page: Page): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // The payment page's QR code is a data: image made in the page.
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    // The payment page and the overlay may be embedded (a checkout, a streaming tool); the portal may not.
    ...(page === 'portal' || page === 'login' ? ["frame-ancestors 'none'"] : []),
  ].join('; ');
}

export async function registerWeb(server: FastifyInstance, services: Services, auth: Authenticator) {
  const { config, log } = services;
  const csrfKey = deriveKey(config.masterKey, 'portal-csrf');
  auth.sessionToken = (req) => portalSessionToken(req, csrfKey);
  auth.socketSessionToken = (req, csrf) => portalSocketSession(req, csrf, csrfKey);

  if (!config.isProduction && config.nodeEnv !== 'test' && webBuildState() !== 'ok') {
    // npm start on a fresh clone: build in the background; the first page request waits for it.
    ensureWebBuild(log).catch((err) => log.error({ err }, 'could not build the web pages'));
  } else if (config.isProduction && webBuildState() === 'missing') {
    log.error(
      { dir: WEB_DIST },
      'the web pages are not built (run npm run build): /pay, /overlay and /portal answer 503',
    );
  }

  async function sendPage(req: FastifyRequest, reply: FastifyReply, page: Page) {
    if (!config.isProduction) {
      try {
        await ensureWebBuild(log);
      } catch (err) {
        log.error({ err }, 'could not build the web pages');
      }
    }
    let html: string;
    try {
      html = await readFile(join(WEB_DIST, `${page}.html`), 'utf8');
    } catch {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('This page is not available: the web pages are not built (npm run build).');
    }
    return (
      reply
        .header('content-security-policy', csp(page))
        .header('x-content-type-options', 'nosniff')
        // The payment page and the overlay carry their token in the address: never send it anywhere.
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(html.replace('<html lang="en">', `<html lang="en" data-request-id="${req.id}">`))
    );
  }

  server.get<{ Params: { depositId: string } }>('/pay/:depositId', (req, reply) =>
    sendPage(req, reply, 'pay'),
  );
  server.get('/overlay', (req, reply) => sendPage(req, reply, 'overlay'));

  server.get<{ Params: { file: string } }>('/web/assets/:file', async (req, reply) => {
    const name = req.params.file;
    const type = ASSET_TYPES[extname(name)];
    if (!ASSET_NAME.test(name) || !type) return reply.callNotFound();
    let body: Buffer;
    try {
      body = await readFile(join(WEB_DIST, 'assets', name));
    } catch {
      return reply.callNotFound();
    }
    return reply
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(type)
      .send(body);
  });

  // ---- The portal: everything but the login page needs the session. ----

  /** The session's admin claims, or null (no cookie, a bad or expired token, or not an admin token). */
  async function session(req: FastifyRequest) {
    const token = cookieOf(req, PORTAL_COOKIE);
    if (!token) return null;
    try {
      const c = await services.tokens.verify(token);
      return c.kind === 'admin' ? { token, ...c } : null;
    } catch {
      return null;
    }
  }

  function clearCookies(req: FastifyRequest, reply: FastifyReply) {
    reply.header('set-cookie', [
      cookie(req, PORTAL_COOKIE, '', { path: '/', maxAge: 0, httpOnly: true }),
      cookie(req, CSRF_COOKIE, '', { path: '/', maxAge: 0, httpOnly: false }),
      cookie(req, ADMIN_COOKIE, '', { path: '/admin', maxAge: 0, httpOnly: true }),
    ]);
  }

  function refuse(req: FastifyRequest, reply: FastifyReply, hadCookie: boolean) {
    if (hadCookie) clearCookies(req, reply);
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
    const origin = header(req, 'origin');
    if (origin && origin !== 'null') {
      let sameHost = false;
      try {
        sameHost = new URL(origin).host === req.headers.host;
      } catch {}
      if (!sameHost) throw new AppError('forbidden', 'Sign in from the portal page of this server');
    }
    const body = req.body as { token?: unknown } | undefined;
    const token = typeof body?.token === 'string' ? body.token.trim() : '';
    if (!token) throw new AppError('invalid_request', 'token is required', 'token');
    const claims = await services.tokens.verify(token); // invalid_token: bad or expired
    if (claims.kind !== 'admin') throw new AppError('forbidden', 'The portal needs an admin token');
    const ttl = Math.min(SESSION_MAX_SECONDS, claims.exp - Math.floor(Date.now() / 1000));
    if (ttl <= 0) throw new AppError('invalid_token', 'The token has expired');
    // A session token of its own: the admin token from the CLI is not kept in the browser.
    const s = await services.tokens.issueAdmin(ttl, claims.subject);
    reply.header('set-cookie', [
      cookie(req, PORTAL_COOKIE, s.token, { path: '/', maxAge: ttl, httpOnly: true }),
      cookie(req, CSRF_COOKIE, csrfFor(csrfKey, s.token), { path: '/', maxAge: ttl, httpOnly: false }),
      // The queue dashboard's own cookie, so /admin/queues opens from the portal without a token in a URL.
      cookie(req, ADMIN_COOKIE, s.token, { path: '/admin', maxAge: ttl, httpOnly: true }),
    ]);
    log.info({ subject: claims.subject, requestId: req.id }, 'portal sign-in');
    return reply
      .header('cache-control', 'no-store')
      .send({ ok: true, subject: claims.subject, expiresAt: s.expiresAt.toISOString() });
  });

  server.post('/portal/logout', async (req, reply) => {
    const token = cookieOf(req, PORTAL_COOKIE);
    if (token && !portalSessionToken(req, csrfKey)) {
      throw new AppError('forbidden', `Signing out needs the ${CSRF_HEADER} header`);
    }
    // Signing out ends the session on the server: the token is revoked (by its jti), so neither the cookie
    // nor the same token sent as a Bearer works again, on any instance. A token that no longer verifies
    // (expired, or already revoked) has nothing left to revoke.
    if (token) {
      await services.tokens.revoke(token, 'portal sign-out').catch((err) => {
        if (!(err instanceof AppError && err.code === 'invalid_token')) throw err;
      });
    }
    clearCookies(req, reply);
    return reply.header('cache-control', 'no-store').send({ ok: true });
  });

  const portal = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await session(req))) return refuse(req, reply, cookieOf(req, PORTAL_COOKIE) !== undefined);
    return sendPage(req, reply, 'portal');
  };
  server.get('/portal', portal);
  server.get('/portal/', portal);
  server.get('/portal/*', async (req, reply) => {
    if (!(await session(req))) return refuse(req, reply, cookieOf(req, PORTAL_COOKIE) !== undefined);
    return reply.code(404).send(errorBody('not_found', `No portal page ${req.url.split('?')[0]}`, req.id));
  });
}
