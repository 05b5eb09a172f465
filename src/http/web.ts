import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../context.js';
import type { Authenticator } from './auth.js';
import { browserScope, pageHeaders, serveAssets } from './browser.js';
import { registerPortal } from './portal.js';
import { PortalSessions } from './portal-session.js';
import { ensureWebBuild, type PAGES, WEB_DIST, webBuildState } from './web-build.js';

export { CSRF_COOKIE, CSRF_HEADER, PORTAL_COOKIE } from './portal-session.js';
export { ensureWebBuild, WEB_DIST, WEB_ROOT, webBuildState } from './web-build.js';

// The browser pages (web/, built by Vite into web/dist): the payment page /pay/:depositId, the donation
// overlay /overlay and the ops portal /portal (portal.ts), with their hashed assets under /web/assets/. The
// pages talk to the API only through GraphQL and graphql-ws with the token in their URL (deposit or stream
// token) or, for the portal, an admin session held in an HttpOnly cookie that /graphql accepts only together
// with the x-portal-csrf header (portal-session.ts).
//
// The build: `npm run build`. Outside production a missing or stale build (web/ newer than web/dist) is made
// here with Vite's API: at start-up in the background, or on the first page request (tests). Production never
// builds at run time: a missing build answers 503 and is logged.

export type Page = (typeof PAGES)[number];
export type SendPage = (req: FastifyRequest, reply: FastifyReply, page: Page) => Promise<FastifyReply>;

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

/** A page's Content-Security-Policy: everything from this server only. */
function csp(page: Page): Record<string, string[]> {
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    // The payment page's QR code is a data: image made in the page.
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    // The payment page and the overlay may be embedded (a checkout, a streaming tool); the portal may not.
    ...(page === 'portal' || page === 'login' ? { 'frame-ancestors': ["'none'"] } : {}),
  };
}

export async function registerWeb(server: FastifyInstance, services: Services, auth: Authenticator) {
  const { config, log } = services;
  const sessions = new PortalSessions(config.masterKey);
  auth.sessionToken = (req) => sessions.fromRequest(req);
  auth.socketSessionToken = (req, csrf) => sessions.fromSocket(req, csrf);

  if (!config.isProduction && config.nodeEnv !== 'test' && webBuildState() !== 'ok') {
    // npm start on a fresh clone: build in the background; the first page request waits for it.
    ensureWebBuild(log).catch((err) => log.error({ err }, 'could not build the web pages'));
  } else if (config.isProduction && webBuildState() === 'missing') {
    log.error(
      { dir: WEB_DIST },
      'the web pages are not built (run npm run build): /pay, /overlay and /portal answer 503',
    );
  }

  const sendPage: SendPage = async (req, reply, page) => {
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
    // Content-Security-Policy, nosniff, and no Referer: the payment page and the overlay carry their token in
    // the address, which must never be sent anywhere.
    reply.helmet(pageHeaders(csp(page)));
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html.replace('<html lang="en">', `<html lang="en" data-request-id="${req.id}">`));
  };

  await browserScope(server, async (pages) => {
    pages.get<{ Params: { depositId: string } }>('/pay/:depositId', (req, reply) =>
      sendPage(req, reply, 'pay'),
    );
    pages.get('/overlay', (req, reply) => sendPage(req, reply, 'overlay'));
    await serveAssets(pages, {
      prefix: '/web/assets/',
      root: join(WEB_DIST, 'assets'),
      types: ASSET_TYPES,
      allow: (name) => ASSET_NAME.test(name),
      // Vite puts a hash of the content in every asset's name.
      maxAge: '365d',
      immutable: true,
    });
    await sessions.register(pages);
    registerPortal(pages, services, sessions, sendPage);
  });
}
