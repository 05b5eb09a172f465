// The delivery store's statements (store.ts): the claim, and the outcome writes of successes and of failures.
//
// Lock order: every statement that waits for delivery rows (the outcome writes here, a worker's release, a
// redelivery in service.ts, the relay's fan-out in fan-out.ts) takes them in key order, (event_id, endpoint_id), before it changes them, so two
// of them never each hold a row the other wants. Those that never wait (the claim, the lease renewal, the
// close of an endpoint's backlog) skip rows another transaction holds instead. Endpoint rows are taken after
// the delivery rows (AFTER_HELD), in id order.

/**
 * This batch's rows (`o`) this worker still holds (lease owner `owner`) under the claim each outcome is of
 * (`o.version`, the row's updated_at when claimed: a redelivery changes it, and the same worker may have
 * claimed the row again since), locked in key order: the keys sorted, then each row found by its primary key
 * and locked in turn (a lateral subquery is a nested loop, which keeps the order whatever the plan, and never
 * reads the table beyond the batch's rows). Each row comes with the claim it was found under (`version`): a
 * write joins the batch to `held` on the key and that version, so of two outcomes of one delivery in the batch
 * (the same worker's send before a redelivery and its send after) only the current claim's is written. By the
 * key alone both matched the one row, and PostgreSQL applied either.
 */
const lockHeld = (owner: string) =>
  `held as (
           select h.event_id, h.endpoint_id, k.version
           from (select distinct event_id, endpoint_id, version from o order by event_id, endpoint_id) k
           cross join lateral (
             select w.event_id, w.endpoint_id from webhook_deliveries w
             where w.event_id = k.event_id and w.endpoint_id = k.endpoint_id and w.lease_owner = ${owner}
               and w.updated_at = k.version
             for no key update) h)`;

/**
 * A condition that holds always, but only once `held` has locked every row of the batch: a statement's
 * endpoint lock takes it, so the endpoint rows are locked after the delivery rows, in the documented order.
 * PostgreSQL runs a statement's CTEs as its main query reads them (and the rest after it), not in the order
 * they are written: the failures write's main query reads the endpoints it marks before the deliveries, so it
 * held an endpoint while waiting for a delivery another transaction held, and that transaction, taking the
 * endpoint next, deadlocked with it. (`count`: `exists` would read one row of `held`, and lock only that one.)
 * No row of `webhook_endpoints` is read before it: it is a one-time filter over the scan.
 */
const AFTER_HELD = '(select count(*) from held) >= 0';

export const CLAIM = {
  name: 'webhook_claim',
  // Each endpoint's earliest due, unleased deliveries, up to what this worker asks for that endpoint (the
  // endpoints it owns, ownership.ts, checked again here), at most $3 in all. And in how many ms the earliest
  // pending delivery of those endpoints that is not due yet comes due (`next_due_ms`, one index probe per
  // endpoint), for the dispatcher to wake then: a retry's own timer is in the worker that wrote the failure,
  // which may since have stopped or given the endpoint up. Always one row at least: with nothing claimed, a
  // row of nulls but that.
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
           returning d.event_id, d.endpoint_id, d.attempts, d.updated_at),
         due_next as (
           select min(n.next_attempt_at) as at from wants
           cross join lateral (
             select d.next_attempt_at from webhook_deliveries d
             where d.endpoint_id = wants.endpoint_id and d.status = 'pending' and d.next_attempt_at > now()
             order by d.next_attempt_at limit 1) n)
         select l.event_id, l.endpoint_id, l.attempts, l.updated_at::text as version, e.type, e.payload::text as payload, e.created_at, row_to_json(w) as endpoint,
           (select ceil(extract(epoch from at - now()) * 1000)::int from due_next) as next_due_ms
         from (select 1) one
         left join (leased l join events e on e.id = l.event_id join webhook_endpoints w on w.id = l.endpoint_id) on true`,
};

export const RECORD_SUCCESSES = {
  name: 'webhook_record_successes',
  text: `with o as (
           select * from unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $9::timestamptz[])
             as o(event_id, endpoint_id, attempt, status_code, latency_ms, snippet, version)),
         ${lockHeld('$7')},
         a as (
           insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
           select event_id, endpoint_id, attempt, status_code, latency_ms, snippet, null from o returning 1),
         d as (
           update webhook_deliveries w set status = 'succeeded', attempts = o.attempt, last_status_code = o.status_code,
             last_error = null, leased_until = null, lease_owner = null, delivered_at = now(), updated_at = now()
           from o join held h on h.event_id = o.event_id and h.endpoint_id = o.endpoint_id and h.version = o.version
           where w.event_id = o.event_id and w.endpoint_id = o.endpoint_id and w.lease_owner = $7 returning 1),
         -- The endpoints recovered, locked in id order as every statement that locks several takes them, after
         -- the deliveries.
         e as (
           update webhook_endpoints set failing_since = null
           where id in (select id from webhook_endpoints where id = any($8::text[]) and failing_since is not null
                          and ${AFTER_HELD}
                        order by id for no key update)
             and failing_since is not null returning 1)
         select (select count(*) from d)::int as written`,
};

/**
 * A batch's rows this worker holds, locked in key order, first in a transaction that writes its successes and
 * its failures with two statements: each locks its own rows in order, but successes before failures is not
 * key order across the batch. So with the endpoints (`$5`, in id order, after the deliveries as each
 * statement takes them) when its successes clear some endpoint's failing mark: those endpoints before the
 * ones its failures mark is not id order either.
 */
export const LOCK_BATCH = {
  name: 'webhook_lock_batch',
  text: `with o as (select * from unnest($1::text[], $2::text[], $4::timestamptz[]) as o(event_id, endpoint_id, version)),
         ${lockHeld('$3')},
         eps as (select id from webhook_endpoints where id = any($5::text[]) and ${AFTER_HELD}
                 order by id for no key update)
         select (select count(*) from held)::int as n, (select count(*) from eps)::int as endpoints`,
};

export const RECORD_FAILURES = {
  name: 'webhook_record_failures',
  text: `with o as (
           select * from unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[],
                                $8::bool[], $9::float8[], $12::timestamptz[])
             as o(event_id, endpoint_id, attempt, status_code, latency_ms, snippet, error, last, retry_secs, version)),
         ${lockHeld('$11')},
         a as (
           insert into webhook_attempts (event_id, endpoint_id, attempt, status_code, latency_ms, response_snippet, error)
           select event_id, endpoint_id, attempt, status_code, latency_ms, snippet, error from o returning 1),
         -- Only an endpoint whose state changes is locked and written: its first failure (failing_since) or
         -- its disabling. Its further failures leave its row alone: no row version, lock or updated_at per
         -- failed attempt (a row every claim and the relay's foreign key check read, and whose updated_at
         -- keys the dispatcher's cached secrets). Locked in id order, after the deliveries.
         was as (
           select id, status from webhook_endpoints
           where id in (select distinct endpoint_id from o)
             and (failing_since is null or (status = 'enabled' and failing_since < now() - make_interval(secs => $10)))
             and ${AFTER_HELD}
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
           from o join cur on cur.id = o.endpoint_id join held h
             on h.event_id = o.event_id and h.endpoint_id = o.endpoint_id and h.version = o.version
           where w.event_id = o.event_id and w.endpoint_id = o.endpoint_id and w.lease_owner = $11 returning 1)
         select cur.id, coalesce(was.status <> 'disabled', false) as newly from cur left join was using (id)
         where cur.status = 'disabled'`,
};
