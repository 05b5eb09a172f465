import { type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Mode } from './entities.js';

// Bearer tokens are compact JWS (HS256) under a key derived from MASTER_KEY: stateless to verify, and each
// carries its kind, so a stream widget token can never be taken for a user session or an admin token.

export const SESSION_SCOPES = ['read', 'subscribe'] as const;
export type SessionScope = (typeof SESSION_SCOPES)[number];
export const MAX_SESSION_TTL_SECONDS = 86_400;

export type TokenClaims =
  | { kind: 'admin'; subject: string; exp: number }
  | { kind: 'user'; merchantId: string; mode: Mode; userId: string; scopes: SessionScope[]; exp: number }
  | { kind: 'stream'; merchantId: string; mode: Mode; streamId: string; exp: number }
  | { kind: 'deposit'; merchantId: string; mode: Mode; depositId: string; exp: number };

const ISSUER = 'novapay';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(masterKey: Buffer) {
    this.key = new Uint8Array(deriveKey(masterKey, 'bearer-tokens'));
  }

  private async sign(claims: JWTPayload, subject: string, ttlSeconds: number) {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setJti(newId('adm'))
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  issueAdmin(ttlSeconds: number, subject = 'ops') {
    return this.sign({ kind: 'admin' }, subject, ttlSeconds);
  }

  /** A browser session for one end user: read their balance and history, subscribe to their events. */
  issueUserSession(
    t: { merchantId: string; mode: Mode },
    userId: string,
    ttlSeconds: number,
    scopes: SessionScope[],
  ) {
    return this.sign({ kind: 'user', mid: t.merchantId, mode: t.mode, scopes }, userId, ttlSeconds);
  }

  /** A stream widget token: may only subscribe to donations of one stream. */
  issueStreamToken(t: { merchantId: string; mode: Mode }, streamId: string, ttlSeconds: number) {
    return this.sign({ kind: 'stream', mid: t.merchantId, mode: t.mode }, streamId, ttlSeconds);
  }

  /** The payment page's token: read one deposit and follow its status, until the deposit expires. */
  issueDepositToken(t: { merchantId: string; mode: Mode }, depositId: string, expiresAt: Date) {
    const ttl = Math.max(60, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
    return this.sign({ kind: 'deposit', mid: t.merchantId, mode: t.mode }, depositId, ttl);
  }

  async verify(token: string): Promise<TokenClaims> {
    let p: JWTPayload;
    try {
      ({ payload: p } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AppError('invalid_token', 'The token has expired');
      throw new AppError('invalid_token', 'The token is not valid');
    }
    const exp = p.exp ?? 0;
    const sub = typeof p.sub === 'string' ? p.sub : '';
    const mode = p.mode === 'live' || p.mode === 'test' ? p.mode : null;
    if (p.kind === 'admin' && sub) return { kind: 'admin', subject: sub, exp };
    if (p.kind === 'user' && sub && mode && typeof p.mid === 'string' && Array.isArray(p.scopes)) {
      const scopes = (p.scopes as unknown[]).filter((s): s is SessionScope =>
        SESSION_SCOPES.includes(s as SessionScope),
      );
      return { kind: 'user', merchantId: p.mid, mode, userId: sub, scopes, exp };
    }
    if (p.kind === 'stream' && sub && mode && typeof p.mid === 'string') {
      return { kind: 'stream', merchantId: p.mid, mode, streamId: sub, exp };
    }
    if (p.kind === 'deposit' && sub && mode && typeof p.mid === 'string') {
      return { kind: 'deposit', merchantId: p.mid, mode, depositId: sub, exp };
    }
    throw new AppError('invalid_token', 'Unknown token kind');
  }
}
