import type { FastifyReply, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import type { Principal, Services } from '../context.js';
import { hmacSha256Hex, safeEqualHex } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import type { RateLimits } from './rate-limit.js';

// HMAC authentication exactly as API.md says: X-Signature = hex(HMAC-SHA256(secret, raw body)), the empty
// string for a request without a body, "<X-Timestamp>.<raw body>" when a timestamp is sent.

const API_KEY_SHAPE = /^sk_(live|test)_[0-9a-f]{32}$/;
const SIGNATURE_SHAPE = /^[0-9a-fA-F]{64}$/;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function clientAddress(req: FastifyRequest): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    // process() turns an IPv4-mapped IPv6 address (::ffff:10.0.0.1) back into IPv4.
    return ipaddr.process(req.ip);
  } catch {
    return null;
  }
}

export interface AuthOptions {
  /** REST accepts only API keys; GraphQL also takes bearer tokens and anonymous (introspection). */
  merchantOnly: boolean;
}

export class Authenticator {
  constructor(
    private readonly services: Services,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Set by the web routes (src/http/web.ts): the ops portal's admin session from its HttpOnly cookie, given
   * only when the request also carries the matching x-portal-csrf header. Only /graphql reads it (REST is
   * merchantOnly), and only for a request without an API key or Authorization header.
   */
  sessionToken?: (req: FastifyRequest) => string | null;

  async authenticate(req: FastifyRequest, reply: FastifyReply, opts: AuthOptions): Promise<Principal> {
    const apiKey = header(req, 'x-api-key');
    if (!apiKey) {
      const authz = header(req, 'authorization');
      if (!opts.merchantOnly && authz) return this.bearer(reply, authz);
      if (opts.merchantOnly) throw new AppError('missing_api_key', 'The X-API-Key header is required');
      const session = this.sessionToken?.(req);
      if (session) {
        const p = await this.principalFromToken(session, reply);
        if (p.kind === 'admin') return p;
      }
      return { kind: 'anonymous' };
    }
    if (!API_KEY_SHAPE.test(apiKey)) throw new AppError('invalid_api_key', 'The API key is not valid');
    const key = await this.services.merchants.resolveKey(apiKey);
    if (!key) throw new AppError('invalid_api_key', 'The API key is not valid or has been revoked');

    if (key.ipAllowlist.length > 0) {
      const addr = clientAddress(req);
      const allowed =
        addr !== null &&
        key.ipAllowlist.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
      if (!allowed)
        throw new AppError('ip_not_allowed', `Requests from ${req.ip} are not allowed for this API key`);
    }

    this.verifySignature(req, key.secret, key.requireTimestamp);
    await this.rateLimit(reply, key.keyId, key.rateLimitPerSecond);
    return {
      kind: 'merchant',
      merchantId: key.merchantId,
      mode: key.mode,
      keyId: key.keyId,
      scopes: key.scopes,
    };
  }

  private verifySignature(req: FastifyRequest, secret: string, requireTimestamp: boolean): void {
    const signature = header(req, 'x-signature');
    if (!signature) throw new AppError('invalid_signature', 'The X-Signature header is required');
    if (!SIGNATURE_SHAPE.test(signature)) {
      throw new AppError('invalid_signature', 'X-Signature must be the hex HMAC-SHA256 of the request body');
    }
    const raw = req.rawBody ?? Buffer.alloc(0);
    const timestamp = header(req, 'x-timestamp');
    let signed: Buffer = raw;
    if (timestamp !== undefined) {
      const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      const skew = Math.abs(Date.now() / 1000 - ts);
      if (!(skew <= this.services.config.timestampToleranceSeconds)) {
        throw new AppError(
          'timestamp_out_of_range',
          `X-Timestamp must be unix seconds within ${this.services.config.timestampToleranceSeconds} s of the server clock`,
        );
      }
      signed = Buffer.concat([Buffer.from(`${timestamp}.`), raw]);
    } else if (requireTimestamp) {
      throw new AppError('timestamp_out_of_range', 'This API key requires an X-Timestamp header');
    }
    if (!safeEqualHex(hmacSha256Hex(secret, signed), signature.toLowerCase())) {
      throw new AppError('invalid_signature', 'The signature does not match the request body');
    }
  }

  private async bearer(reply: FastifyReply, authz: string): Promise<Principal> {
    const m = /^Bearer\s+(\S+)$/i.exec(authz);
    if (!m) throw new AppError('invalid_token', 'Authorization must be "Bearer <token>"');
    return this.principalFromToken(m[1]!, reply);
  }

  /** Bearer tokens over HTTP and `{token}` in a WebSocket connection_init resolve the same way. */
  async principalFromToken(token: string, reply?: FastifyReply): Promise<Principal> {
    const c = await this.services.tokens.verify(token);
    switch (c.kind) {
      case 'admin':
        if (reply) await this.rateLimit(reply, `adm:${c.subject}`, 1000);
        return { kind: 'admin', subject: c.subject };
      case 'user':
        if (reply) await this.rateLimit(reply, `usr:${c.merchantId}:${c.userId}`, 50);
        return { kind: 'user', merchantId: c.merchantId, mode: c.mode, userId: c.userId, scopes: c.scopes };
      case 'stream':
        return { kind: 'stream', merchantId: c.merchantId, mode: c.mode, streamId: c.streamId };
      case 'deposit':
        return { kind: 'deposit', merchantId: c.merchantId, mode: c.mode, depositId: c.depositId };
    }
  }

  /** `{apiKey, timestamp, signature}` in connection_init: HMAC of the timestamp within the tolerance. */
  async principalFromKeySignature(apiKey: string, timestamp: string, signature: string): Promise<Principal> {
    if (!API_KEY_SHAPE.test(apiKey)) throw new AppError('invalid_api_key', 'The API key is not valid');
    const key = await this.services.merchants.resolveKey(apiKey);
    if (!key) throw new AppError('invalid_api_key', 'The API key is not valid or has been revoked');
    const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (!(Math.abs(Date.now() / 1000 - ts) <= this.services.config.timestampToleranceSeconds)) {
      throw new AppError(
        'timestamp_out_of_range',
        'timestamp must be unix seconds close to the server clock',
      );
    }
    if (
      !SIGNATURE_SHAPE.test(signature) ||
      !safeEqualHex(hmacSha256Hex(key.secret, timestamp), signature.toLowerCase())
    ) {
      throw new AppError('invalid_signature', 'The signature does not match the timestamp');
    }
    return {
      kind: 'merchant',
      merchantId: key.merchantId,
      mode: key.mode,
      keyId: key.keyId,
      scopes: key.scopes,
    };
  }

  private async rateLimit(reply: FastifyReply, id: string, perSecond: number): Promise<void> {
    const d = await this.limits.consume(id, perSecond);
    const resetSeconds = Math.max(1, Math.ceil(d.resetMs / 1000));
    reply.header('RateLimit-Limit', d.limit);
    reply.header('RateLimit-Remaining', d.remaining);
    reply.header('RateLimit-Reset', resetSeconds);
    if (!d.allowed) {
      reply.header('Retry-After', resetSeconds);
      throw new AppError(
        'rate_limited',
        `Rate limit of ${d.limit} requests per second exceeded; retry after ${resetSeconds} s`,
      );
    }
  }
}
