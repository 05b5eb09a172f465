// What a revocation tells the rest of the process. The services announce; whoever needs to know listens, wired
// once by the composition root: the HTTP layer closes the sockets opened with the key or token and tells the
// other processes (src/http/revocation-bus.ts); the CLI tells the running servers when it exits.

type KeyListener = (keyHashHex: string, keyId: string) => void;
type TokenListener = (jti: string, expiresAtMs: number) => void;

export class RevocationNotices {
  private readonly keys: KeyListener[] = [];
  private readonly tokens: TokenListener[] = [];

  onKey(listener: KeyListener): void {
    this.keys.push(listener);
  }

  onToken(listener: TokenListener): void {
    this.tokens.push(listener);
  }

  /** An API key was revoked (or changed so that cached copies must go). */
  keyRevoked(keyHashHex: string, keyId: string): void {
    for (const l of this.keys) l(keyHashHex, keyId);
  }

  /** A bearer token was revoked before it expired. */
  tokenRevoked(jti: string, expiresAtMs: number): void {
    for (const l of this.tokens) l(jti, expiresAtMs);
  }
}
