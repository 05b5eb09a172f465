import type { Pool } from '../../../db/database.js';
import type { EndpointRow } from '../service.js';

// The delivery state machine's SQL. webhook_deliveries is the queue: a worker claims due deliveries with a
// lease in its own name, sends them, and writes each outcome (an attempt row and the delivery's new state)
// only while it still holds the lease. Successes are written many to a statement; failures, which also move
// the endpoint's failing state, many to a statement too, apart from the successes.

/** A delivery a worker holds: what it needs to send it without another query. */
export interface Claimed {
  eventId: string;
  endpointId: string;
  /** Attempts made before this one. */
  attempts: number;
  eventType: string;
  /** The event's data as the jsonb column prints it: numbers keep every digit they were written with. */
  payload: string;
  eventCreatedAt: Date;
  endpoint: EndpointRow;
}

export interface Success {
  eventId: string;
  endpointId: string;
  attempt: number;
  statusCode: number;
  latencyMs: number;
  snippet: string | null;
  /** The endpoint was failing when claimed: its failure mark is cleared with this success. */
  recovers: boolean;
}

export interface Failure {
  eventId: string;
  endpointId: string;
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  snippet: string | null;
  error: string;
  /** No retry is left: the delivery fails for good. */
  last: boolean;
  /** Delay before the next attempt (when one is left). */
  retryMs: number;
}

const CLAIM = {
  name: 'webhook_claim',
  // Each endpoint's earliest due, unleased deliveries, up to what this worker asks for that endpoint (the
  // endpoints it owns, ownership.ts, checked again here), at most $3 in all.
  text: `with wants as (
           select * from unnest($1::text[], $2::int[]) as w(endpoint_id, n)
           where exists (select 1 from webhook_dispatch_owners o
                         where o.endpoint_id = w.endpoint_id and o.owner = $5 and o.until > now())),
         picked as (
           select d.event_id, d.endpoint_id from wants
           cross join lateral (
             select d.event_id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d
             where d.endpoint_id = wants.endpoint_id and d.status = 'pending' and d.next_attempt_at <= now()
               and (d.leased_until is null or d.leased_until < now())
             order by d.next_attempt_at limit wants.n
             for update skip locked) d
           order by d.next_attempt_at limit $3),
         leased as (
           update webhook_deliveries d set leased_until = now() + make_interval(secs => $4), lease_owner = $5
           from picked p where d.event_id = p.event_id and d.endpoint_id = p.endpoint_id
           returning d.event_id, d.endpoint_id, d.attempts)
         select l.event_id, l.endpoint_id, l.attempts, e.type, e.payload::text as payload, e.created_at, row_to_json(w) as endpoint
         from leased l join events e on e.id = l.event_id join webhook_endpoints w on w.id = l.endpoint_id`,
};

const RECORD_SUCCESSES = {
  name: 'webhook_record_successes',
  text: `with o as (
           select * from unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[])
             as o(event_id, endpoint_id, attempt, status_code, latency_ms, snippet)),
         a as (
           insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
           select event_id, endpoint_id, attempt, status_code, latency_ms, snippet, null from o returning 1),
         d as (
           update webhook_deliveries w set status = 'succeeded', attempts = o.attempt, last_status_code = o.status_code,
             last_error = null, leased_until = null, lease_owner = null, delivered_at = now(), updated_at = now()
           from o where w.event_id = o.event_id and w.endpoint_id = o.endpoint_id and w.lease_owner = $7 returning 1),
         e as (
           update webhook_endpoints set failing_since = null
           where id = any($8::text[]) and failing_since is not null returning 1)
         select (select count(*) from d)::int as written`,
};

const RECORD_FAILURES = {
  name: 'webhook_record_failures',
  text: `with o as (
           select * from unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[],
                                $8::bool[], $9::float8[])
             as o(event_id, endpoint_id, attempt, status_code, latency_ms, snippet, error, last, retry_secs)),
         a as (
           insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
           select event_id, endpoint_id, attempt, status_code, latency_ms, snippet, error from o returning 1),
         -- Only an endpoint whose state changes is locked and written: its first failure (failing_since) or
         -- its disabling. Its further failures leave its row alone: no row version, lock or updated_at per
         -- failed attempt (a row every claim and the relay's foreign key check read, and whose updated_at
         -- keys the dispatcher's cached secrets).
         was as (
           select id, status from webhook_endpoints
           where id in (select distinct endpoint_id from o)
             and (failing_since is null or (status = 'enabled' and failing_since < now() - make_interval(secs => $10)))
           order by id for no key update),
         e as (
           update webhook_endpoints w set failing_since = coalesce(w.failing_since, now()),
             status = case when w.status = 'enabled' and w.failing_since < now() - make_interval(secs => $10)
               then 'disabled' else w.status end,
             disabled_reason = case when w.status = 'enabled' and w.failing_since < now() - make_interval(secs => $10)
               then 'failing for ' || round(extract(epoch from now() - w.failing_since) / 3600, 1) || ' h'
               else w.disabled_reason end,
             updated_at = now()
           from was where w.id = was.id
           returning w.id, w.status),
         cur as (
           select w.id, coalesce(e.status, w.status) as status from webhook_endpoints w left join e on e.id = w.id
           where w.id in (select distinct endpoint_id from o)),
         d as (
           update webhook_deliveries w set attempts = o.attempt, last_status_code = o.status_code,
             last_error = case when cur.status = 'disabled' then o.error || '; endpoint disabled' else o.error end,
             status = case when o.last or cur.status = 'disabled' then 'failed' else 'pending' end,
             next_attempt_at = case when o.last or cur.status = 'disabled' then w.next_attempt_at
                                    else now() + make_interval(secs => o.retry_secs) end,
             leased_until = null, lease_owner = null, updated_at = now()
           from o join cur on cur.id = o.endpoint_id
           where w.event_id = o.event_id and w.endpoint_id = o.endpoint_id and w.lease_owner = $11 returning 1)
         select cur.id, coalesce(was.status <> 'disabled', false) as newly from cur left join was using (id)
         where cur.status = 'disabled'`,
};

function toBuffer(hex: string | null): Buffer | null {
  return hex ? Buffer.from(hex.replace(/^\\x/, ''), 'hex') : null;
}

/** row_to_json's endpoint back into an EndpointRow (bytea as \x… text, times as text). */
function endpointRow(ep: Record<string, unknown>): EndpointRow {
  const date = (v: unknown) => (v ? new Date(v as string) : null);
  return {
    ...(ep as unknown as EndpointRow),
    secret_ciphertext: toBuffer(ep.secret_ciphertext as string)!,
    previous_secret_ciphertext: toBuffer(ep.previous_secret_ciphertext as string | null),
    previous_secret_expires_at: date(ep.previous_secret_expires_at),
    failing_since: date(ep.failing_since),
    created_at: date(ep.created_at)!,
    updated_at: date(ep.updated_at)!,
  };
}

export class DeliveryStore {
  constructor(
    private readonly pool: Pool,
    /**
     * Where claims commit: a connection with synchronous_commit off (database.ts, `asyncCommit`). A claim
     * is on every delivery's path from commit to receipt, and waiting for its WAL flush queued it behind
     * every other commit of the database (a failing endpoint's attempt rows; docs/benchmarks.md). A lease
     * lost with a database crash only makes its delivery claimable again (sent at least once), and the
     * outcome's commit, which is flushed, makes the lease written before it durable too.
     */
    private readonly claimPool: Pool,
    /** This worker's name on its leases. */
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Leases up to `limit` due deliveries: for each endpoint in `wants` at most its number, earliest due first. */
  async claim(wants: Map<string, number>, limit: number): Promise<Claimed[]> {
    const r = await this.claimPool.query<{
      event_id: string;
      endpoint_id: string;
      attempts: number;
      type: string;
      payload: string;
      created_at: Date;
      endpoint: Record<string, unknown>;
    }>({
      ...CLAIM,
      values: [[...wants.keys()], [...wants.values()], limit, this.leaseMs / 1000, this.owner],
    });
    return r.rows.map((row) => ({
      eventId: row.event_id,
      endpointId: row.endpoint_id,
      attempts: row.attempts,
      eventType: row.type,
      payload: row.payload,
      eventCreatedAt: row.created_at,
      endpoint: endpointRow(row.endpoint),
    }));
  }

  /** Writes many successes in one statement; returns how many this worker still held. */
  async recordSuccesses(s: Success[]): Promise<number> {
    if (s.length === 0) return 0;
    const r = await this.pool.query<{ written: number }>({
      ...RECORD_SUCCESSES,
      values: [
        s.map((x) => x.eventId),
        s.map((x) => x.endpointId),
        s.map((x) => x.attempt),
        s.map((x) => x.statusCode),
        s.map((x) => x.latencyMs),
        s.map((x) => x.snippet),
        this.owner,
        [...new Set(s.filter((x) => x.recovers).map((x) => x.endpointId))],
      ],
    });
    return r.rows[0]!.written;
  }

  /**
   * Writes many failed attempts in one statement: their attempt rows, each endpoint's failing mark once
   * (disabling it when it has failed for longer than `disableAfterMs`), and each delivery's retry time, or
   * its final failure when no retry is left or the endpoint is now disabled. Returns the endpoints that
   * are disabled after it, and those this write disabled.
   */
  async recordFailures(
    f: Failure[],
    disableAfterMs: number,
  ): Promise<{ disabled: Set<string>; newlyDisabled: string[] }> {
    if (f.length === 0) return { disabled: new Set(), newlyDisabled: [] };
    const r = await this.pool.query<{ id: string; newly: boolean }>({
      ...RECORD_FAILURES,
      values: [
        f.map((x) => x.eventId),
        f.map((x) => x.endpointId),
        f.map((x) => x.attempt),
        f.map((x) => x.statusCode),
        f.map((x) => x.latencyMs),
        f.map((x) => x.snippet),
        f.map((x) => x.error),
        f.map((x) => x.last),
        f.map((x) => x.retryMs / 1000),
        disableAfterMs / 1000,
        this.owner,
      ],
    });
    return {
      disabled: new Set(r.rows.map((x) => x.id)),
      newlyDisabled: r.rows.filter((x) => x.newly).map((x) => x.id),
    };
  }

  /**
   * Fails every pending delivery of an endpoint that is disabled or deleted, in one statement, without
   * sending (`endpoint <reason>`), except those another worker is sending right now.
   */
  async closeEndpoint(endpointId: string, reason: string): Promise<number> {
    const r = await this.pool.query(
      `update webhook_deliveries set status = 'failed', attempts = attempts + 1, last_error = $2,
         leased_until = null, lease_owner = null, updated_at = now()
       where endpoint_id = $1 and status = 'pending'
         and (leased_until is null or leased_until < now() or lease_owner = $3)`,
      [endpointId, reason, this.owner],
    );
    return r.rowCount ?? 0;
  }

  /** Extends this worker's leases on the deliveries it still holds (queued or in flight). */
  async renew(keys: { eventId: string; endpointId: string }[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(
      `update webhook_deliveries d set leased_until = now() + make_interval(secs => $3)
       from unnest($1::text[], $2::text[]) as k(event_id, endpoint_id)
       where d.event_id = k.event_id and d.endpoint_id = k.endpoint_id and d.lease_owner = $4`,
      [keys.map((k) => k.eventId), keys.map((k) => k.endpointId), this.leaseMs / 1000, this.owner],
    );
  }

  /** Gives back deliveries this worker claimed but will not send (it is stopping). */
  async release(keys: { eventId: string; endpointId: string }[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(
      `update webhook_deliveries d set leased_until = null, lease_owner = null
       from unnest($1::text[], $2::text[]) as k(event_id, endpoint_id)
       where d.event_id = k.event_id and d.endpoint_id = k.endpoint_id and d.lease_owner = $3`,
      [keys.map((k) => k.eventId), keys.map((k) => k.endpointId), this.owner],
    );
  }
}
