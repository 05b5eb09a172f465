import { Tokens } from '@fastify/csrf';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deriveKey } from '../lib/crypto.js';
import { parseCookies } from './cookies.js';

// The ops portal's session and its CSRF value. The session is an admin token in the HttpOnly cookie
// PORTAL_COOKIE; the CSRF value is a salted HMAC of that token (@fastify/csrf, keyed with a key derived from
// MASTER_KEY) in the readable cookie CSRF_COOKIE, which the page sends back in the x-portal-csrf header, or
// in `connection_init` on the WebSocket. A request from another site can make the browser send the cookies
// (SameSite=Strict already stops that in current browsers) but can neither read them nor forge the value.
//
// Three doors check it: /graphql (a cookie without the header is anonymous, never an error), the WebSocket
// upgrade (Fastify never routes it) and POST /portal/logout, which @fastify/csrf-protection's hook guards.

export const PORTAL_COOKIE = 'novapay_portal';
export const CSRF_COOKIE = 'novapay_portal_csrf';
export const CSRF_HEADER = 'x-portal-csrf';

function header(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export class PortalSessions {
  private readonly hmacKey: Buffer;
  private readonly tokens;

  constructor(masterKey: Buffer) {
    this.hmacKey = deriveKey(masterKey, 'portal-csrf');
    this.tokens = new Tokens({ hmacKey: this.hmacKey });
  }

  /** A CSRF value for the session token. */
  csrfFor(session: string): string {
    return this.tokens.create(session);
  }

  /** The portal session token of a request that also carries a matching CSRF header; null otherwise. */
  fromRequest(req: FastifyRequest): string | null {
    const session = req.cookies[PORTAL_COOKIE];
    const sent = header(req, CSRF_HEADER);
    if (!session || !sent) return null;
    return this.tokens.verify(session, sent) ? session : null;
  }

  /**
   * The portal session of a WebSocket: the session cookie of the upgrade request, together with the CSRF
   * value the page sends in `connection_init` ({portalCsrf}), from a page of this server (Origin, when sent,
   * names this host). The same rule as /graphql's cookie + x-portal-csrf header; null otherwise.
   */
  fromSocket(req: Pick<FastifyRequest, 'headers'>, csrf: string): string | null {
    const origin = header(req, 'origin');
    if (origin && !sameHost(origin, req.headers.host)) return null;
    const session = parseCookies(req.headers.cookie)[PORTAL_COOKIE];
    if (!session || !csrf) return null;
    return this.tokens.verify(session, csrf) ? session : null;
  }

  /**
   * Adds `server.csrfProtection`, a hook that refuses a request whose x-portal-csrf header does not match its
   * session cookie (403 FST_CSRF_*). It never issues tokens: sign-in does, with `csrfFor`.
   */
  async register(server: FastifyInstance): Promise<void> {
    await server.register(fastifyCsrfProtection, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: PORTAL_COOKIE,
      getToken: (req) => header(req, CSRF_HEADER),
      csrfOpts: { hmacKey: this.hmacKey },
    });
  }
}

/** Whether an Origin header names the given host. */
export function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
