import type { Pool } from '../db/database.js';

// Remembers the signatures of version-2 requests for as long as their timestamp is accepted, so a captured
// request cannot be sent again. PostgreSQL holds them (table signature_uses, one INSERT … ON CONFLICT DO NOTHING
// per signature), so the refusal holds across API instances and survives anything Redis does: it used to be
// Redis (SET NX), and a Redis that came back empty or was away let a captured request in again within its
// window, a transfer without an Idempotency-Key included (it moved the money twice). While PostgreSQL does not
// answer, the request fails (503), as it would at its first query: nothing is let in unchecked.
//
// Rows past their window are deleted by whichever process records a signature at least PURGE_EVERY_MS after
// its last purge: a row lives about twice the timestamp tolerance plus a minute for clock skew between hosts, so the table stays the size of that much
// version-2 traffic.

const PURGE_EVERY_MS = 60_000;
/** Rows one purge statement deletes at most; a purge repeats it until a statement finds fewer. */
const PURGE_BATCH = 5000;

const FIRST_USE_SQL = {
  name: 'sig_first_use',
  text: `insert into signature_uses (id, expires_at) values ($1, now() + make_interval(secs => $2))
         on conflict (id) do nothing`,
} as const;

const PURGE_SQL = {
  name: 'sig_purge',
  text: `delete from signature_uses where id in (
           select id from signature_uses where expires_at < now() order by expires_at limit $1)`,
} as const;

export class ReplayCache {
  private lastPurge = Date.now();
  private purging: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly onPurgeError: (err: Error) => void = () => undefined,
  ) {}

  /** True the first time `id` is seen within `ttlSeconds`; false for a replay. */
  async firstUse(id: string, ttlSeconds: number): Promise<boolean> {
    const r = await this.pool.query({ ...FIRST_USE_SQL, values: [id, Math.max(1, Math.ceil(ttlSeconds))] });
    this.purgeNowAndThen();
    return r.rowCount === 1;
  }

  /** Deletes the rows past their window (also run now and then by firstUse); returns how many. */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (;;) {
      const n = (await this.pool.query({ ...PURGE_SQL, values: [PURGE_BATCH] })).rowCount ?? 0;
      purged += n;
      if (n < PURGE_BATCH) return purged;
    }
  }

  /** The purge running in the background, if any (shutdown waits for it). */
  settled(): Promise<void> {
    return this.purging ?? Promise.resolve();
  }

  private purgeNowAndThen(): void {
    if (this.purging || Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    this.purging = this.purgeExpired()
      .then(() => undefined, this.onPurgeError)
      .finally(() => {
        this.purging = null;
      });
  }
}
