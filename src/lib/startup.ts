// Turning a failed start into one line for the operator (src/main.ts), without leaking credentials.

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The URL without its password (`postgres://root:pw@db/x` → `postgres://root@db/x`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '';
    return u.toString();
  } catch {
    // Not parseable as a URL: drop anything between "//" and "@" after the user name.
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1@');
  }
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

function errorMessage(err: unknown): string {
  const e = (err ?? {}) as ErrorLike;
  if (typeof e.message === 'string' && e.message) return e.message;
  // Node's connect with several addresses throws an AggregateError with an empty message.
  if (Array.isArray(e.errors)) {
    const inner = e.errors.map(errorMessage).filter(Boolean);
    if (inner.length > 0) return inner.join('; ');
  }
  return String(err);
}

/** True for a failure to reach a server: a socket error code, or a message about the connection. */
export function isConnectionError(err: unknown): boolean {
  const e = (err ?? {}) as ErrorLike;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  return /connect/i.test(errorMessage(err));
}

/** `<prefix>: <message>`, with where the databases were expected when one of them did not answer. */
export function startupFailureMessage(
  err: unknown,
  urls: { databaseUrl: string; redisUrl: string },
  prefix = 'could not start',
): string {
  const line = `${prefix}: ${errorMessage(err)}`;
  if (!isConnectionError(err)) return line;
  return `${line} (is PostgreSQL running at ${redactUrl(urls.databaseUrl)} and Redis at ${redactUrl(urls.redisUrl)}? see README)`;
}
