import type { Pool } from '../../../db/database.js';
import type { EndpointRow } from '../service.js';
import { CLAIM, LOCK_BATCH, RECORD_FAILURES, RECORD_SUCCESSES } from './store-sql.js';

// The delivery state machine's SQL. webhook_deliveries is the queue: a worker claims due deliveries with a
// lease in its own name, sends them, and writes each outcome (an attempt row and the delivery's new state)
// only while it still holds the lease. Successes are written many to a statement; failures, which also move
// the endpoint's failing state, many to a statement too, and a batch with both in one transaction (one
// commit). The statements are in store-sql.ts.

/** A delivery a worker holds: what it needs to send it without another query. */
export interface Claimed {
  eventId: string;
  endpointId: string;
  /** Attempts made before this one. */
  attempts: number;
  /**
   * The delivery's updated_at when claimed (as PostgreSQL prints it, to the microsecond): its outcome is
   * written only while it is unchanged. A redelivery changes it, and this worker may claim the delivery
   * again before the outcome of the send it started earlier is written.
   */
  version: string;
  eventType: string;
  /** The event's data as the jsonb column prints it: numbers keep every digit they were written with. */
  payload: string;
  eventCreatedAt: Date;
  endpoint: EndpointRow;
}

export interface Success {
  eventId: string;
  endpointId: string;
  /** The claim this is the outcome of (Claimed.version). */
  version: string;
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
  /** The claim this is the outcome of (Claimed.version). */
  version: string;
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

interface DisabledRow {
  id: string;
  newly: boolean;
}

/** The endpoints disabled after a failures write, and those it disabled. */
export interface FailuresWritten {
  disabled: Set<string>;
  newlyDisabled: string[];
}

function failuresWritten(rows: DisabledRow[]): FailuresWritten {
  return {
    disabled: new Set(rows.map((x) => x.id)),
    newlyDisabled: rows.filter((x) => x.newly).map((x) => x.id),
  };
}

/**
 * Deliveries a closed endpoint's backlog is failed by in one statement (closeEndpoint). A chunk cut short
 * (a row changed under it) ends the loop; what is left is closed when it is next claimed.
 */
const CLOSE_CHUNK = 250;

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

/** What a closed endpoint's unsent deliveries fail with (`last_error`). */
export const closedReason = (endpoint: { disabled_reason: string | null }): string =>
  `endpoint ${endpoint.disabled_reason ?? 'disabled'}`;

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
    return (await this.claimDue(wants, limit)).rows;
  }

  /**
   * claim(), and in how many ms the earliest pending delivery of the endpoints in `wants` that is not due yet
   * comes due (null: none).
   */
  async claimDue(
    wants: Map<string, number>,
    limit: number,
  ): Promise<{ rows: Claimed[]; nextDueMs: number | null }> {
    const r = await this.claimPool.query<{
      event_id: string | null;
      endpoint_id: string;
      attempts: number;
      version: string;
      type: string;
      payload: string;
      created_at: Date;
      endpoint: Record<string, unknown>;
      next_due_ms: number | null;
    }>({
      ...CLAIM,
      values: [[...wants.keys()], [...wants.values()], limit, this.leaseMs / 1000, this.owner],
    });
    return {
      // With nothing claimed, the one row is nulls but next_due_ms.
      rows: r.rows
        .filter((row) => row.event_id !== null)
        .map((row) => ({
          eventId: row.event_id!,
          endpointId: row.endpoint_id,
          attempts: row.attempts,
          version: row.version,
          eventType: row.type,
          payload: row.payload,
          eventCreatedAt: row.created_at,
          endpoint: endpointRow(row.endpoint),
        })),
      nextDueMs: r.rows[0]?.next_due_ms ?? null,
    };
  }

  /** Writes many successes in one statement; returns how many this worker still held. */
  async recordSuccesses(s: Success[]): Promise<number> {
    if (s.length === 0) return 0;
    const r = await this.pool.query<{ written: number }>(this.successes(s));
    return r.rows[0]!.written;
  }

  /**
   * Writes many failed attempts in one statement: their attempt rows, each endpoint's failing mark once
   * (disabling it when it has failed for longer than `disableAfterMs`), and each delivery's retry time, or
   * its final failure when no retry is left or the endpoint is now disabled. Returns the endpoints that
   * are disabled after it, and those this write disabled.
   */
  async recordFailures(f: Failure[], disableAfterMs: number): Promise<FailuresWritten> {
    if (f.length === 0) return { disabled: new Set(), newlyDisabled: [] };
    return failuresWritten((await this.pool.query<DisabledRow>(this.failures(f, disableAfterMs))).rows);
  }

  /**
   * A batch's successes and failures in one transaction: one commit, so one WAL flush, where two statements
   * on their own cost two (a failing endpoint added a flush to every batch, and each flush queues the
   * relay's and the ledger's commits behind it; docs/benchmarks.md). Should one of the statements fail,
   * COMMIT rolls both back and they are written one after the other, as apart they always were.
   */
  async recordOutcomes(s: Success[], f: Failure[], disableAfterMs: number): Promise<FailuresWritten> {
    if (s.length > 0 && f.length > 0) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        // Sent together (the pool pipelines): one round trip. The batch's rows are locked in key order first
        // (store-sql.ts), as every writer that waits for them takes them.
        const keys = [...s, ...f];
        // The endpoints whose failing mark the batch clears, and those it may set (over-counted: every failure's
        // endpoint), only when it clears one: otherwise its failures alone lock endpoints, in id order.
        const recovered = s.filter((x) => x.recovers).map((x) => x.endpointId);
        const endpoints =
          recovered.length > 0 ? [...new Set([...recovered, ...f.map((x) => x.endpointId)])] : [];
        const [begun, locked, ok, failed, committed] = await Promise.allSettled([
          client.query('begin'),
          client.query({
            ...LOCK_BATCH,
            values: [
              keys.map((x) => x.eventId),
              keys.map((x) => x.endpointId),
              this.owner,
              keys.map((x) => x.version),
              endpoints,
            ],
          }),
          client.query(this.successes(s)),
          client.query<DisabledRow>(this.failures(f, disableAfterMs)),
          client.query('commit'),
        ]);
        if (committed.status === 'rejected') {
          broken = committed.reason as Error; // whether it committed is unknown: the leases lapse
          throw committed.reason;
        }
        const before = [begun, locked, ok];
        if (failed.status === 'fulfilled' && before.every((x) => x.status === 'fulfilled'))
          return failuresWritten(failed.value.rows);
      } finally {
        client.release(broken);
      }
    }
    await this.recordSuccesses(s);
    return this.recordFailures(f, disableAfterMs);
  }

  private successes(s: Success[]) {
    return {
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
        s.map((x) => x.version),
      ],
    };
  }

  private failures(f: Failure[], disableAfterMs: number) {
    return {
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
        f.map((x) => x.version),
      ],
    };
  }

  /**
   * Fails every pending delivery of an endpoint that is disabled or deleted, without sending (`endpoint
   * <reason>`), except those another worker is sending right now; CLOSE_CHUNK to a statement, each committed
   * on its own (~10 ms): a backlog of any size is never one long write that other commits and the outcome of
   * a delivery in flight to it wait behind (1,500 in one statement took 50-70 ms). Rows another transaction
   * holds at that moment are skipped, never waited for: this worker's own outcome batch may hold some of them
   * and want others this statement holds (a deadlock, as the renewal had); that outcome write ends them, or
   * the next close (the dispatcher closes again on each delivery of a closed endpoint it meets) does.
   * `inFlight`: the events of this endpoint's deliveries this worker is still sending, left to their outcome.
   * Null, and nothing failed, when the endpoint is enabled: the caller read it closed (its claim, a
   * `closed:` NOTIFY), and it was enabled again since; what was fanned out to it after that is not its backlog.
   */
  async closeEndpoint(endpointId: string, reason: string, inFlight: string[] = []): Promise<number | null> {
    let total = 0;
    for (;;) {
      // The rows by their ctid, picked once (an InitPlan): as a join, a plan misjudged the picked rows
      // (estimated at one) and took a second for 1,500 of them. Only while the endpoint is closed, as this
      // statement sees it (`open`, a one-time filter): a close that read it closed before a re-enable failed
      // the deliveries fanned out to it after (the relay fans out to enabled endpoints only).
      const r = await this.pool.query<{ open: boolean; n: number }>(
        `with open as (select exists (select 1 from webhook_endpoints where id = $1 and status = 'enabled') as open),
         u as (
           update webhook_deliveries d set status = 'failed', attempts = d.attempts + 1, last_error = $2,
             leased_until = null, lease_owner = null, updated_at = now()
           where d.ctid = any(array(
                   select ctid from webhook_deliveries
                   where endpoint_id = $1 and status = 'pending'
                     and (leased_until is null or leased_until < now() or lease_owner = $3)
                     and event_id <> all($5::text[])
                     and not (select open from open)
                   limit $4 for no key update skip locked))
             and d.endpoint_id = $1 and d.status = 'pending'
             and (d.leased_until is null or d.leased_until < now() or d.lease_owner = $3)
             and d.event_id <> all($5::text[])
           returning 1)
         select (select open from open) as open, (select count(*) from u)::int as n`,
        [endpointId, reason, this.owner, CLOSE_CHUNK, inFlight],
      );
      const row = r.rows[0]!;
      if (row.open) return total === 0 ? null : total;
      total += row.n;
      if (row.n < CLOSE_CHUNK) return total;
    }
  }

  /**
   * Why an endpoint is closed, as its unsent deliveries fail with it (`endpoint <reason>`, as closeEndpoint is
   * given when a claim finds it closed), or null while it is enabled.
   */
  async closedReason(endpointId: string): Promise<string | null> {
    const r = await this.pool.query<{ status: string; disabled_reason: string | null }>(
      'select status, disabled_reason from webhook_endpoints where id = $1',
      [endpointId],
    );
    const row = r.rows[0];
    if (!row) return closedReason({ disabled_reason: 'deleted' });
    return row.status === 'enabled' ? null : closedReason(row);
  }

  /**
   * Extends this worker's leases on the deliveries it still holds (queued or in flight), but those another
   * transaction holds at that moment: an outcome write (which ends the lease) or a close. Waiting for them
   * while holding the others' rows deadlocked with an outcome batch that locks the same rows in another order;
   * a row skipped now is renewed by the next renewal (every third of the lease) if it is still held.
   */
  async renew(keys: { eventId: string; endpointId: string }[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(
      `update webhook_deliveries d set leased_until = now() + make_interval(secs => $3)
       where (d.event_id, d.endpoint_id) in (
         select h.event_id, h.endpoint_id from webhook_deliveries h
         join unnest($1::text[], $2::text[]) as k(event_id, endpoint_id)
           on h.event_id = k.event_id and h.endpoint_id = k.endpoint_id
         where h.lease_owner = $4
         for no key update of h skip locked)`,
      [keys.map((k) => k.eventId), keys.map((k) => k.endpointId), this.leaseMs / 1000, this.owner],
    );
  }

  /** Gives back deliveries this worker claimed but will not send (it is stopping); rows locked in key order. */
  async release(keys: { eventId: string; endpointId: string }[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(
      `update webhook_deliveries d set leased_until = null, lease_owner = null
       where (d.event_id, d.endpoint_id) in (
         select h.event_id, h.endpoint_id from webhook_deliveries h
         join unnest($1::text[], $2::text[]) as k(event_id, endpoint_id)
           on h.event_id = k.event_id and h.endpoint_id = k.endpoint_id
         where h.lease_owner = $3
         order by h.event_id, h.endpoint_id for no key update of h)
       and d.lease_owner = $3`,
      [keys.map((k) => k.eventId), keys.map((k) => k.endpointId), this.owner],
    );
  }
}
