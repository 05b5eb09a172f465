import { extname } from 'node:path';
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// What the pages this server renders for browsers share (the payment page, the overlay, the portal, /docs):
// security headers from @fastify/helmet and their files from @fastify/static. Both live in an encapsulated
// scope of the pages' own (`browserScope`), so none of their hooks runs on /api/v1 or /graphql.

/**
 * Helmet with only the headers these pages have always sent: X-Content-Type-Options and Referrer-Policy, and
 * a Content-Security-Policy given per page (`pageHeaders`). The rest of helmet's defaults stay off.
 */
const BASE: FastifyHelmetOptions = {
  global: false,
  contentSecurityPolicy: false,
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xPoweredBy: false,
  xXssProtection: false,
};

/** Registers `routes` in a scope of their own, with helmet's `reply.helmet()` and route `helmet` option. */
export async function browserScope(
  server: FastifyInstance,
  routes: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  await server.register(async (scope) => {
    await scope.register(fastifyHelmet, BASE);
    await routes(scope);
  });
}

/** A page's headers: its Content-Security-Policy (directive → sources), merged by helmet into the base ones. */
export function pageHeaders(csp: Record<string, string[]>) {
  return { contentSecurityPolicy: { useDefaults: false, directives: csp } };
}

export interface AssetOptions {
  /** URL prefix, ending with '/'. */
  prefix: string;
  root: string;
  /** Content-Type by file extension: a file of any other extension is a 404. */
  types: Record<string, string>;
  /** Which names may be served (at most one path segment, checked before the file is looked up). */
  allow: (name: string) => boolean;
  maxAge: string;
  immutable?: boolean;
}

/**
 * Files of one folder under a prefix, by @fastify/static. A name that is not allowed, or has no type in the
 * table, is a 404 before anything touches the disk, so `..`, nested paths and dotfiles never reach it.
 * Content-Type comes from the table (Node's `mime` says application/javascript), with `nosniff`; no ETag,
 * Last-Modified or ranges: the names are fixed or content-hashed, and the cache headers say so.
 */
export async function serveAssets(server: FastifyInstance, o: AssetOptions): Promise<void> {
  await server.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      const name = (req.params as { '*'?: string })['*'] ?? '';
      if (!o.allow(name) || !o.types[extname(name)]) return reply.callNotFound();
      return undefined;
    });
    await scope.register(fastifyStatic, {
      root: o.root,
      prefix: o.prefix,
      decorateReply: false,
      index: false,
      list: false,
      redirect: false,
      dotfiles: 'deny',
      etag: false,
      lastModified: false,
      acceptRanges: false,
      maxAge: o.maxAge,
      immutable: o.immutable ?? false,
      // The web pages' folder appears only after a build, which may run after start-up.
      suppressWarning: true,
      setHeaders: (reply, path) => {
        reply.header('content-type', o.types[extname(path)]!);
        reply.header('x-content-type-options', 'nosniff');
      },
    });
  });
}
