import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';

// Bearer tokens are compact JWS (HS256) under a key derived from MASTER_KEY: stateless to verify,
// and every token carries its own kind, so an admin token can never be mistaken for a user one.
export type TokenClaims = { kind: 'admin'; sub: string; jti: string; exp: number };

const ISSUER = 'novapay';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(masterKey: Buffer) {
    this.key = new Uint8Array(deriveKey(masterKey, 'bearer-tokens'));
  }

  async issueAdmin(ttlSeconds: number, subject = 'ops'): Promise<{ token: string; expiresAt: Date }> {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = await new SignJWT({ kind: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setJti(newId('adm'))
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (payload.kind === 'admin' && typeof payload.sub === 'string' && typeof payload.jti === 'string') {
        return { kind: 'admin', sub: payload.sub, jti: payload.jti, exp: payload.exp ?? 0 };
      }
      throw new AppError('invalid_token', 'Unknown token kind');
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError('invalid_token', 'The token has expired');
      throw new AppError('invalid_token', 'The token is not valid');
    }
  }
}
