import { type CookieSerializeOptions, fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';

// Cookies through @fastify/cookie: `req.cookies` on every request, `reply.setCookie` for the ops portal's
// session and the queue dashboard's. The WebSocket upgrade, which Fastify never routes, parses its Cookie
// header with the same function and options (`parseCookies`).

/** A value with malformed percent-encoding counts as absent, never as its raw text. */
function decodeOrDrop(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined as unknown as string;
  }
}

const parseOptions = { decode: decodeOrDrop };

export async function registerCookies(server: FastifyInstance): Promise<void> {
  await server.register(fastifyCookie, { parseOptions: parseOptions as CookieSerializeOptions });
}

/** The cookies of a Cookie header, read as `req.cookies` is: name → value (first one wins). */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  return header ? fastifyCookie.parse(header, parseOptions) : {};
}

/** Every cookie this server sets: SameSite=Strict, and Secure when the request came over HTTPS. */
export function cookieOptions(
  path: string,
  maxAgeSeconds: number,
  httpOnly: boolean,
): CookieSerializeOptions {
  return { path, maxAge: maxAgeSeconds, httpOnly, sameSite: 'strict', secure: 'auto' };
}
