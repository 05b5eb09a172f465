import { type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Mode } from '../../lib/tenant.js';
import type { TokenRevocations } from './revocations.js';

// Bearer tokens are compact JWS (HS256) under a key derived from MASTER_KEY: stateless to verify, and each
// carries its kind, so a stream widget token can never be taken for a user session or an admin token. A
// token can be revoked before it expires, by its jti (revocations.ts); verify() refuses it from then on. A user
// session or stream token names the API key that minted it (`key` claim): revoking the key (`keys revoke`, not
// `keys rotate`) records the key id in the same list, and verify() refuses the key's tokens from then on.

export const SESSION_SCOPES = ['read', 'subscribe'] as const;
export type SessionScope = (typeof SESSION_SCOPES)[number];
export const MAX_SESSION_TTL_SECONDS = 86_400;

/** The most tokens a portal session may descend from (a session signed in with a session, and so on). */
export const MAX_TOKEN_PARENTS = 8;

/** An admin token's `parents`: the jtis of the admin tokens it was made from (portal sign-ins), oldest first. */
export type TokenClaims = { exp: number; jti: string } & (
  | { kind: 'admin'; subject: string; parents: string[] }
  | {
      kind: 'user';
      merchantId: string;
      mode: Mode;
      userId: string;
      scopes: SessionScope[];
      trustedDocumentsOnly: boolean;
      /** The API key that minted it; none in tokens minted before keys were named. */
      keyId?: string;
    }
  | {
      kind: 'stream';
      merchantId: string;
      mode: Mode;
      streamId: string;
      trustedDocumentsOnly: boolean;
      keyId?: string;
    }
  | { kind: 'deposit'; merchantId: string; mode: Mode; depositId: string }
);

const ISSUER = 'novapay';

/** Tokens whose signature was checked, kept until they expire (revocation is still checked every time). */
const VERIFIED_CACHE_MAX = 10_000;

export class TokenService {
  /** Verified payloads by token text: a token is sent with every request, its HMAC need not be redone. */
  private readonly verified = new Map<string, JWTPayload>();

  private readonly key: Uint8Array;

  constructor(
    masterKey: Buffer,
    private readonly revocations: TokenRevocations | null = null,
  ) {
    this.key = new Uint8Array(deriveKey(masterKey, 'bearer-tokens'));
  }

  private async sign(claims: JWTPayload, subject: string, ttlSeconds: number) {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const jti = newId('adm');
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000), tokenId: jti };
  }

  /**
   * `parents`: the tokens this one is made from (a portal session from the admin token it signed in with); it is
   * refused once any of them is revoked, so revoking a leaked token also ends the sessions made with it.
   */
  issueAdmin(ttlSeconds: number, subject = 'ops', parents: string[] = []) {
    return this.sign({ kind: 'admin', ...(parents.length ? { par: parents } : {}) }, subject, ttlSeconds);
  }

  /**
   * A browser session for one end user: read their balance and history, subscribe to their events. `tdo`
   * (trusted documents only) is inherited from the key that mints it; `keyId` names that key, so revoking it
   * ends the session.
   */
  issueUserSession(
    t: { merchantId: string; mode: Mode },
    userId: string,
    ttlSeconds: number,
    scopes: SessionScope[],
    trustedDocumentsOnly = false,
    keyId?: string,
  ) {
    const claims = {
      kind: 'user',
      mid: t.merchantId,
      mode: t.mode,
      scopes,
      ...tdo(trustedDocumentsOnly),
      ...mintedBy(keyId),
    };
    return this.sign(claims, userId, ttlSeconds);
  }

  /** A stream widget token: may only subscribe to donations of one stream. `keyId`: as for user sessions. */
  issueStreamToken(
    t: { merchantId: string; mode: Mode },
    streamId: string,
    ttlSeconds: number,
    trustedDocumentsOnly = false,
    keyId?: string,
  ) {
    const claims = {
      kind: 'stream',
      mid: t.merchantId,
      mode: t.mode,
      ...tdo(trustedDocumentsOnly),
      ...mintedBy(keyId),
    };
    return this.sign(claims, streamId, ttlSeconds);
  }

  /** The payment page's token: read one deposit and follow its status, until the deposit expires. */
  issueDepositToken(t: { merchantId: string; mode: Mode }, depositId: string, expiresAt: Date) {
    const ttl = Math.max(60, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
    return this.sign({ kind: 'deposit', mid: t.merchantId, mode: t.mode }, depositId, ttl);
  }

  async verify(token: string): Promise<TokenClaims> {
    let p = this.verified.get(token);
    if (!p || (p.exp !== undefined && p.exp * 1000 <= Date.now())) {
      this.verified.delete(token);
      try {
        ({ payload: p } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] }));
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired)
          throw new AppError('invalid_token', 'The token has expired');
        throw new AppError('invalid_token', 'The token is not valid');
      }
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.set(token, p);
    }
    const jti = typeof p.jti === 'string' ? p.jti : '';
    if (jti && (await this.revocations?.isRevoked(jti))) {
      throw new AppError('invalid_token', 'The token has been revoked');
    }
    const claims = claimsOf(p, { exp: p.exp ?? 0, jti });
    if (claims.kind === 'admin') {
      for (const parent of claims.parents) {
        if (await this.revocations?.isRevoked(parent))
          throw new AppError('invalid_token', 'The token it was made from has been revoked');
      }
    } else if ('keyId' in claims && claims.keyId && (await this.revocations?.isRevoked(claims.keyId))) {
      // The key was revoked as such (revocations hold it by its id), not rotated: see MerchantsService.revokeKey.
      throw new AppError('invalid_token', 'The API key that minted the token has been revoked');
    }
    return claims;
  }

  /** Reloads the revoked list from PostgreSQL now. */
  async refreshRevocations(): Promise<void> {
    await this.revocations?.refresh();
  }

  /** Whether the token with this jti was revoked (PostgreSQL's list, reloaded every 2 s). */
  async isRevoked(jti: string): Promise<boolean> {
    return (await this.revocations?.isRevoked(jti)) ?? false;
  }

  /** Revokes a token that verifies now (an expired or foreign one needs nothing); returns its claims. */
  async revoke(token: string, reason: string): Promise<TokenClaims> {
    const claims = await this.verify(token);
    await this.revokeId(claims.jti, new Date(claims.exp * 1000), reason, claims);
    return claims;
  }

  /** Revokes by jti; `expiresAt` bounds how long the record is needed (the longest a token lives if unknown). */
  async revokeId(jti: string, expiresAt: Date, reason: string, claims?: TokenClaims): Promise<void> {
    if (!this.revocations) throw new Error('token revocation is not configured');
    const subject = claims?.kind === 'admin' ? claims.subject : undefined;
    await this.revocations.revoke(jti, expiresAt, { subject, reason });
  }
}

/** The claim only when set, so the tokens of other keys stay as they were. */
function tdo(on: boolean): { tdo?: true } {
  return on ? { tdo: true } : {};
}

/** The `key` claim only when a key minted the token. */
function mintedBy(keyId: string | undefined): { key?: string } {
  return keyId ? { key: keyId } : {};
}

/** The minting key's id from the `key` claim, when there is one. */
function keyOf(p: JWTPayload): { keyId?: string } {
  return typeof p.key === 'string' && p.key ? { keyId: p.key } : {};
}

function claimsOf(p: JWTPayload, base: { exp: number; jti: string }): TokenClaims {
  const sub = typeof p.sub === 'string' ? p.sub : '';
  const mode = p.mode === 'live' || p.mode === 'test' ? p.mode : null;
  if (p.kind === 'admin' && sub) {
    const parents = Array.isArray(p.par) ? p.par.filter((j): j is string => typeof j === 'string') : [];
    return { ...base, kind: 'admin', subject: sub, parents };
  }
  if (p.kind === 'user' && sub && mode && typeof p.mid === 'string' && Array.isArray(p.scopes)) {
    const scopes = (p.scopes as unknown[]).filter((s): s is SessionScope =>
      SESSION_SCOPES.includes(s as SessionScope),
    );
    return {
      ...base,
      kind: 'user',
      merchantId: p.mid,
      mode,
      userId: sub,
      scopes,
      trustedDocumentsOnly: p.tdo === true,
      ...keyOf(p),
    };
  }
  if (p.kind === 'stream' && sub && mode && typeof p.mid === 'string') {
    return {
      ...base,
      kind: 'stream',
      merchantId: p.mid,
      mode,
      streamId: sub,
      trustedDocumentsOnly: p.tdo === true,
      ...keyOf(p),
    };
  }
  if (p.kind === 'deposit' && sub && mode && typeof p.mid === 'string') {
    return { ...base, kind: 'deposit', merchantId: p.mid, mode, depositId: sub };
  }
  throw new AppError('invalid_token', 'Unknown token kind');
}
