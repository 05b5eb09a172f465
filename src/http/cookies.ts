import type { FastifyRequest } from 'fastify';

/** A cookie's value from the request's Cookie header, or undefined (absent, or malformed percent-encoding). */
export function cookieOf(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined; // malformed percent-encoding: no usable cookie
    }
  }
  return undefined;
}
