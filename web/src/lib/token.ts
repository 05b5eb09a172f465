// Reads (never verifies) the claims of a bearer token the page was given, to know which stream it is for and
// to say "expired" before asking the server. The server checks every token itself.

export interface TokenClaims {
  kind?: string;
  sub?: string;
  exp?: number;
}

export function readClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part || token.split('.').length !== 3) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const c = JSON.parse(json) as Record<string, unknown>;
    return {
      kind: typeof c.kind === 'string' ? c.kind : undefined,
      sub: typeof c.sub === 'string' ? c.sub : undefined,
      exp: typeof c.exp === 'number' ? c.exp : undefined,
    };
  } catch {
    return null;
  }
}

export function isExpired(c: TokenClaims, nowMs = Date.now()): boolean {
  return c.exp !== undefined && c.exp * 1000 <= nowMs;
}
