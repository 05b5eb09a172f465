import pg from 'pg';

// Administrative SQL for the bench: throwaway databases, checkpoints, and read-only checks afterwards.

export const PG_BASE = 'postgres://root@127.0.0.1:5432';

async function withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${PG_BASE}/${database}` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Drops the database (closing anyone's connections to it) if it exists. */
export function dropDatabase(name: string): Promise<void> {
  return withClient('postgres', async (c) => {
    await c.query(`drop database if exists ${ident(name)} with (force)`);
  });
}

export function createDatabase(name: string): Promise<void> {
  return withClient('postgres', async (c) => {
    await c.query(`create database ${ident(name)}`);
  });
}

/** Flushes dirty pages now, so a checkpoint left over from set-up does not land inside a measurement. */
export function checkpoint(): Promise<void> {
  return withClient('postgres', async (c) => {
    await c.query('checkpoint');
  });
}

/**
 * VACUUM ANALYZE, as `pgbench -i` does for its tables. Without it a database filled seconds ago has no
 * statistics (autovacuum looks once a minute), and the server's named statements keep generic plans made
 * when the tables were nearly empty: sequential scans of `accounts` on every ledger batch.
 */
export function vacuumAnalyze(database: string): Promise<void> {
  return withClient(database, async (c) => {
    await c.query('vacuum analyze');
  });
}

export function serverVersion(): Promise<string> {
  return withClient('postgres', async (c) => (await c.query('show server_version')).rows[0].server_version);
}

export interface LedgerCheck {
  transfers: number;
  /** Distinct commit timestamps: every item of a ledger batch shares one created_at (ms), so ≈ batches. */
  batches: number;
  /** Sum of every balance (double entry: must be 0). */
  balanceSum: string;
  /** Outbox events not yet published by the relay right after the load (null: no outbox table). */
  unpublished: number | null;
}

/** Transfers committed in [from, to] and an estimate of how many ledger batches carried them. */
export function ledgerCheck(database: string, from: Date, to: Date, type = 'transfer'): Promise<LedgerCheck> {
  return withClient(database, async (c) => {
    const t = await c.query(
      `select count(*)::int as n, count(distinct created_at)::int as b from ledger_transactions
       where type = $3 and created_at between $1 and $2`,
      [from, to, type],
    );
    const s = await c.query('select coalesce(sum(balance_minor), 0)::text as s from accounts');
    const hasOutbox = (await c.query(`select to_regclass('events') is not null as ok`)).rows[0].ok;
    const u = hasOutbox
      ? (await c.query('select count(*)::int as n from events where published_at is null')).rows[0].n
      : null;
    return { transfers: t.rows[0].n, batches: t.rows[0].b, balanceSum: s.rows[0].s, unpublished: u };
  });
}

/** Milliseconds until no event is left unpublished (polled every 20 ms), or null after `timeoutMs`. */
export function outboxDrained(database: string, timeoutMs: number): Promise<number | null> {
  return withClient(database, async (c) => {
    const t0 = performance.now();
    for (;;) {
      const r = await c.query('select count(*)::int as n from events where published_at is null');
      const elapsed = performance.now() - t0;
      if (r.rows[0].n === 0) return elapsed;
      if (elapsed > timeoutMs) return null;
      await new Promise((res) => setTimeout(res, 20));
    }
  });
}

/** How many of the given users have at least `minMinor` minor units. */
export function fundedUsers(database: string, merchantId: string, minMinor: bigint): Promise<number> {
  return withClient(database, async (c) => {
    const r = await c.query(
      `select count(*)::int as n from accounts
       where merchant_id = $1 and mode = 'test' and kind = 'user' and balance_minor >= $2`,
      [merchantId, minMinor.toString()],
    );
    return r.rows[0].n;
  });
}

export interface WebhookCheck {
  /** webhook_deliveries rows of these endpoints by status. */
  deliveries: Record<string, number>;
  /** Delivery attempts logged (one per POST), and how many of them failed. */
  attempts: number;
  failedAttempts: number;
  /** The most common attempt errors, "error ×count". */
  errors: string[];
  /**
   * Where the time went, from the database's clocks, p50 / p99 in ms: event row → delivery row (the relay
   * picking the event up), delivery row → delivered_at (queue wait, POST and bookkeeping), and the POST
   * alone as the worker measured it (webhook_attempts.latency_ms).
   */
  relayMs: [number, number];
  queueMs: [number, number];
  postMs: [number, number];
}

/** What the database recorded for the deliveries to these endpoints. */
export function webhookCheck(database: string, endpointIds: string[]): Promise<WebhookCheck> {
  return withClient(database, async (c) => {
    const d = await c.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from webhook_deliveries where endpoint_id = any($1) group by status`,
      [endpointIds],
    );
    const a = await c.query<{ n: number; failed: number }>(
      `select count(*)::int as n, count(*) filter (where error is not null)::int as failed
       from webhook_attempts where endpoint_id = any($1)`,
      [endpointIds],
    );
    const e = await c.query<{ error: string; n: number }>(
      `select error, count(*)::int as n from webhook_attempts where endpoint_id = any($1) and error is not null
       group by error order by n desc limit 5`,
      [endpointIds],
    );
    const t = await c.query<Record<string, number | null>>(
      `select
         percentile_cont(0.5) within group (order by extract(epoch from d.created_at - e.created_at) * 1000) as r50,
         percentile_cont(0.99) within group (order by extract(epoch from d.created_at - e.created_at) * 1000) as r99,
         percentile_cont(0.5) within group (order by extract(epoch from d.delivered_at - d.created_at) * 1000) as q50,
         percentile_cont(0.99) within group (order by extract(epoch from d.delivered_at - d.created_at) * 1000) as q99
       from webhook_deliveries d join events e on e.id = d.event_id where d.endpoint_id = any($1)`,
      [endpointIds],
    );
    const p = await c.query<Record<string, number | null>>(
      `select percentile_cont(0.5) within group (order by latency_ms) as p50,
              percentile_cont(0.99) within group (order by latency_ms) as p99
       from webhook_attempts where endpoint_id = any($1)`,
      [endpointIds],
    );
    const num = (v: number | null | undefined) => (v === null || v === undefined ? Number.NaN : Number(v));
    const row = t.rows[0] ?? {};
    return {
      deliveries: Object.fromEntries(d.rows.map((r) => [r.status, r.n])),
      attempts: a.rows[0]!.n,
      failedAttempts: a.rows[0]!.failed,
      errors: e.rows.map((r) => `${r.error.slice(0, 120)} ×${r.n}`),
      relayMs: [num(row.r50), num(row.r99)],
      queueMs: [num(row.q50), num(row.q99)],
      postMs: [num(p.rows[0]?.p50), num(p.rows[0]?.p99)],
    };
  });
}
