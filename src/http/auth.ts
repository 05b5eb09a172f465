import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Services } from '../context.js';
import { AppError } from '../lib/errors.js';
import type { ResolvedKey, TokenClaims } from '../modules/merchants/index.js';
import { budgetAddress, parseAddress } from './client-address.js';
import type { RateDecision, RateLimits } from './rate-limit.js';
import type { SignatureVerifier } from './signature.js';

// Who is calling, for every door: HTTP (REST and GraphQL) and the WebSocket's connection_init. An API key
// passes the same checks everywhere: its IP allow-list against the client address (behind proxies, read with
// the TRUST_PROXY rule), its signature (signature.ts) and its rate limit, shared by HTTP requests and socket
// operations. Every other credential spends a budget too (rateBucket), at every door.

const API_KEY_SHAPE = /^sk_(live|test)_[0-9a-f]{32}$/;
const USER_SESSION_PER_SECOND = 50;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface AuthOptions {
  /** REST accepts only API keys; GraphQL also takes bearer tokens and anonymous (introspection). */
  merchantOnly: boolean;
}

export interface BucketLimits {
  adminPerSecond: number;
  anonymousPerSecond: number;
  /** A stream or deposit token's page, per client address (every viewer of the page holds the same token). */
  pageTokenPerSecond: number;
}

/**
 * The rate-limit budget a request or socket operation from `address` spends; every credential has one.
 * - An API key its own, an admin token its subject's, a user session its user's in its mode (test-mode
 *   traffic never spends a live user's budget).
 * - A stream or deposit token is handed to every viewer of a page, so its budget is per page (the stream or
 *   the deposit, not the token: a new token for the same page spends the same) and client address: one
 *   viewer cannot spend the others', and no browser token spends its merchant's API key budget.
 * - Without a credential, the client address's (an anonymous request still costs a parse).
 * A client address counts as budgetAddress says: an IPv4 address, or an IPv6 address's /64 (one customer's).
 * A page's id puts the address before a '/', which no address holds, so no two pairs share an id.
 */
export function rateBucket(
  p: Principal,
  limits: BucketLimits,
  clientAddress: string,
): { id: string; perSecond: number } {
  const address = budgetAddress(clientAddress);
  switch (p.kind) {
    case 'merchant':
      return { id: p.keyId, perSecond: p.rateLimitPerSecond };
    case 'admin':
      return { id: `adm:${p.subject}`, perSecond: limits.adminPerSecond };
    case 'user':
      return { id: `usr:${p.merchantId}:${p.mode}:${p.userId}`, perSecond: USER_SESSION_PER_SECOND };
    case 'stream':
      return {
        id: `stm:${p.merchantId}:${p.mode}:${address}/${p.streamId}`,
        perSecond: limits.pageTokenPerSecond,
      };
    case 'deposit':
      return {
        id: `dep:${p.merchantId}:${p.mode}:${address}/${p.depositId}`,
        perSecond: limits.pageTokenPerSecond,
      };
    case 'anonymous':
      return { id: `ip:${address}`, perSecond: limits.anonymousPerSecond };
  }
}

export function rateLimitedError(d: RateDecision): AppError {
  return new AppError(
    'rate_limited',
    `Rate limit of ${d.limit} requests per second exceeded; retry after ${retryAfterSeconds(d)} s`,
  );
}

export function retryAfterSeconds(d: RateDecision): number {
  return Math.max(1, Math.ceil(d.resetMs / 1000));
}

export class Authenticator {
  constructor(
    private readonly services: Services,
    private readonly limits: RateLimits,
    private readonly signatures: SignatureVerifier,
  ) {}

  /**
   * Set by the web routes (src/http/web.ts): the ops portal's admin session from its HttpOnly cookie, given
   * only when the request also carries the matching x-portal-csrf header. Only /graphql reads it (REST is
   * merchantOnly), and only for a request without an API key or Authorization header.
   */
  sessionToken?: (req: FastifyRequest) => string | null;

  /**
   * Set by the web routes too: the portal's admin session for a WebSocket, from the upgrade request's cookie
   * and the CSRF value sent in `connection_init` (`{portalCsrf}`); null when they do not match.
   */
  socketSessionToken?: (req: Pick<FastifyRequest, 'headers'>, csrf: string) => string | null;

  async authenticate(req: FastifyRequest, reply: FastifyReply, opts: AuthOptions): Promise<Principal> {
    const apiKey = header(req, 'x-api-key');
    let principal: Principal;
    if (apiKey) {
      const key = await this.key(apiKey, req.ip);
      await this.signatures.verifyRequest(req, key);
      principal = merchantPrincipal(key);
    } else {
      const authz = header(req, 'authorization');
      if (opts.merchantOnly) throw new AppError('missing_api_key', 'The X-API-Key header is required');
      if (authz) {
        const m = /^Bearer\s+(\S+)$/i.exec(authz);
        if (!m) throw new AppError('invalid_token', 'Authorization must be "Bearer <token>"');
        principal = await this.principalFromToken(m[1]!);
      } else {
        const session = this.sessionToken?.(req);
        const p = session ? await this.principalFromToken(session) : null;
        principal = p?.kind === 'admin' ? p : { kind: 'anonymous' };
      }
    }
    await this.spendHttp(reply, principal);
    return principal;
  }

  /** Bearer tokens over HTTP and `{token}` in a WebSocket connection_init resolve the same way. */
  async principalFromToken(token: string): Promise<Principal> {
    return (await this.tokenCredential(token)).principal;
  }

  /** A bearer token's principal and when the token expires (ms since the epoch): a socket closes then. */
  async tokenCredential(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    const c = await this.services.tokens.verify(token);
    return { principal: principalOfClaims(c), expiresAt: c.exp * 1000 };
  }

  /**
   * `{apiKey, timestamp, signature, signatureVersion?}` in connection_init, from the client at `address`:
   * the key's allow-list, the signature of the timestamp (signature.ts), and one unit of its rate limit.
   */
  async principalFromKeySignature(
    params: {
      apiKey: string;
      timestamp: string;
      signature: string;
      signatureVersion?: string;
      nonce?: string;
    },
    address: string,
  ): Promise<Principal> {
    const key = await this.key(params.apiKey, address);
    const { timestamp, signature, signatureVersion, nonce } = params;
    await this.signatures.verifyConnection(key, timestamp, signature, signatureVersion, nonce);
    const principal = merchantPrincipal(key);
    await this.spend(principal, address);
    return principal;
  }

  /**
   * Spends one unit of the credential's rate limit (for a socket, `address` is its upgrade request's client
   * address); throws rate_limited (with retryAfterSeconds) when out.
   */
  async spend(principal: Principal, address: string): Promise<void> {
    const bucket = rateBucket(principal, this.rateLimits(), address);
    const d = await this.limits.consume(bucket.id, bucket.perSecond);
    if (!d.allowed) throw rateLimitedError(d);
  }

  private rateLimits(): BucketLimits {
    const c = this.services.config;
    return {
      adminPerSecond: c.adminRateLimitPerSecond,
      anonymousPerSecond: c.anonymousRateLimitPerSecond,
      pageTokenPerSecond: c.pageTokenRateLimitPerSecond,
    };
  }

  private async spendHttp(reply: FastifyReply, principal: Principal): Promise<void> {
    const bucket = rateBucket(principal, this.rateLimits(), reply.request.ip);
    const d = await this.limits.consume(bucket.id, bucket.perSecond);
    reply.header('RateLimit-Limit', d.limit);
    reply.header('RateLimit-Remaining', d.remaining);
    reply.header('RateLimit-Reset', retryAfterSeconds(d));
    if (!d.allowed) {
      reply.header('Retry-After', retryAfterSeconds(d));
      throw rateLimitedError(d);
    }
  }

  /** The key, when it exists, is not revoked and allows `address`. */
  private async key(apiKey: string, address: string): Promise<ResolvedKey> {
    if (!API_KEY_SHAPE.test(apiKey)) throw new AppError('invalid_api_key', 'The API key is not valid');
    const key = await this.services.merchants.resolveKey(apiKey);
    if (!key) throw new AppError('invalid_api_key', 'The API key is not valid or has been revoked');
    if (key.ipAllowlist.length > 0) {
      const addr = parseAddress(address);
      const allowed =
        addr !== null &&
        key.ipAllowlist.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
      if (!allowed)
        throw new AppError('ip_not_allowed', `Requests from ${address} are not allowed for this API key`);
    }
    return key;
  }
}

function merchantPrincipal(key: ResolvedKey): Principal {
  return {
    kind: 'merchant',
    merchantId: key.merchantId,
    mode: key.mode,
    keyId: key.keyId,
    scopes: key.scopes,
    rateLimitPerSecond: key.rateLimitPerSecond,
    trustedDocumentsOnly: key.trustedDocumentsOnly,
  };
}

/** The principal a verified bearer token's claims name. */
function principalOfClaims(c: TokenClaims): Principal {
  switch (c.kind) {
    case 'admin':
      return { kind: 'admin', subject: c.subject, tokenId: c.jti, parentTokenIds: c.parents };
    case 'user':
      return {
        kind: 'user',
        merchantId: c.merchantId,
        mode: c.mode,
        userId: c.userId,
        scopes: c.scopes,
        tokenId: c.jti,
        trustedDocumentsOnly: c.trustedDocumentsOnly,
        mintedByKeyId: c.keyId,
      };
    case 'stream':
      return {
        kind: 'stream',
        merchantId: c.merchantId,
        mode: c.mode,
        streamId: c.streamId,
        tokenId: c.jti,
        trustedDocumentsOnly: c.trustedDocumentsOnly,
        mintedByKeyId: c.keyId,
      };
    case 'deposit':
      return {
        kind: 'deposit',
        merchantId: c.merchantId,
        mode: c.mode,
        depositId: c.depositId,
        tokenId: c.jti,
      };
  }
}
