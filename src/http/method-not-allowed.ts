import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

// A known path asked with a method it does not take is a 405 with `Allow`, not a 404: the caller has the
// right URL and the wrong verb. Fastify's router only answers "no route", so every registered route is
// mirrored into a router of our own that can say which methods a path takes.

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function trackAllowedMethods(app: FastifyInstance): (path: string) => string[] {
  const router = FindMyWay({ ignoreTrailingSlash: false });
  const noop = () => undefined;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (!METHODS.includes(m as HTTPMethod)) continue;
      try {
        router.on(m as HTTPMethod, route.url, noop);
      } catch {
        // Already mirrored (a HEAD route Fastify adds for a GET, or the same path twice).
      }
    }
  });
  return (path) => METHODS.filter((m) => router.find(m, path) !== null);
}
