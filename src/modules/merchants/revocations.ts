import type { Pool } from '../../db/database.js';
import { RevocationNotices } from './notices.js';

// Bearer tokens revoked before they expire (portal sign-out, `admin revoke`), by jti. PostgreSQL is the record
// (table revoked_tokens); each process keeps the unexpired list in memory, so verifying a token costs no query.
// The list reaches every process three ways: the revoking process adds it at once; it is published on Redis
// (`<REDIS_PREFIX>:tokens:revoked`, wired by the composition root) for the others; and every process reloads the list
// from PostgreSQL when it is older than SYNC_MS, so a missed message (Redis away) costs at most that long.

const SYNC_MS = 2_000;

export class TokenRevocations {
  /** jti → when the token expires (ms); past that it is refused for its expiry anyway. */
  private readonly revoked = new Map<string, number>();
  private syncedAtMs = 0;
  private syncing: Promise<void> | null = null;
  constructor(
    private readonly pool: Pool,
    /** Told of each revocation, so other processes and open sockets hear of it. */
    private readonly notices: RevocationNotices = new RevocationNotices(),
  ) {}

  async revoke(jti: string, expiresAt: Date, who: { subject?: string; reason?: string } = {}): Promise<void> {
    let n = 0;
    await this.recordIn(
      (sql, params) =>
        this.pool.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        ),
      jti,
      expiresAt,
      who,
    );
    await this.announce(jti, expiresAt);
  }

  /**
   * Writes a revocation's record through `exec`, a statement in the caller's transaction (its parameters as
   * `?`), so that it commits with the change it belongs to (an API key's revocation); `announce` it once that
   * transaction has committed.
   */
  async recordIn(
    exec: (sql: string, params: unknown[]) => Promise<unknown>,
    jti: string,
    expiresAt: Date,
    who: { subject?: string; reason?: string } = {},
  ): Promise<void> {
    await exec(
      `insert into revoked_tokens (jti, subject, reason, expires_at) values (?, ?, ?, ?::timestamptz)
       on conflict (jti) do nothing`,
      [jti, who.subject ?? null, who.reason ?? null, expiresAt.toISOString()],
    );
  }

  /** A recorded revocation takes effect: in this process at once, in the others through their notices. */
  async announce(jti: string, expiresAt: Date): Promise<void> {
    this.add(jti, expiresAt.getTime());
    this.notices.tokenRevoked(jti, expiresAt.getTime());
    // Rows past their token's expiry guard nothing: drop them now and then. Housekeeping only: the revocation
    // has committed, so a failure here must not answer as if it had not (the next revocation drops them).
    await this.pool
      .query(`delete from revoked_tokens where expires_at < now() - interval '1 day'`)
      .catch(() => undefined);
  }

  /** Records a revocation made elsewhere (another process's message). */
  add(jti: string, expiresAtMs: number): void {
    if (expiresAtMs > Date.now()) this.revoked.set(jti, expiresAtMs);
  }

  /** Reloads the list from PostgreSQL now (the WebSocket revocation sweep, every 2 s); failures keep the list. */
  async refresh(): Promise<void> {
    this.syncing ??= this.load().finally(() => {
      this.syncing = null;
    });
    await this.syncing;
  }

  async isRevoked(jti: string): Promise<boolean> {
    if (Date.now() - this.syncedAtMs >= SYNC_MS) await this.refresh();
    return (this.revoked.get(jti) ?? 0) > Date.now();
  }

  private async load(): Promise<void> {
    try {
      const r = await this.pool.query<{ jti: string; expires_ms: string }>(
        `select jti, (extract(epoch from expires_at) * 1000)::bigint::text as expires_ms
         from revoked_tokens where expires_at > now()`,
      );
      const now = Date.now();
      for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
      for (const row of r.rows) this.revoked.set(row.jti, Number(row.expires_ms));
    } catch {
      // PostgreSQL is away: keep the list we have (and what Redis brings) and try again after SYNC_MS.
    } finally {
      this.syncedAtMs = Date.now();
    }
  }
}
