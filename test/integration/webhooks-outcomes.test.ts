import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/database.js';
import { createPool } from '../../src/db/database.js';
import { HeldDeliveries } from '../../src/modules/webhooks/delivery/held.js';
import { OutcomeWriter } from '../../src/modules/webhooks/delivery/outcomes.js';
import { type Claimed, DeliveryStore, type Failure } from '../../src/modules/webhooks/delivery/store.js';
import { recordDeliveries } from '../../src/modules/webhooks/fan-out.js';
import { useTestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { capturedLog } from '../helpers/log.js';
import { eventually } from '../helpers/receiver.js';

// A batch of outcomes is written by the worker that holds the deliveries' leases
// (src/modules/webhooks/delivery/store.ts): one statement for the batch, each delivery matched by its key and
// this worker's lease. One whose lease this worker lost (another worker took it, a redelivery reset it) is
// left alone without losing the others', and one whose lease is being renewed at that moment is written once
// the renewal commits (a write by the rows' tid instead loses it). No dispatcher runs here (the API role):
// two stores stand for two workers.
const t = useTestApp({}, { role: 'api' });
const LEASE_MS = 60_000;
let claims: Pool;
let stores: { a: DeliveryStore; b: DeliveryStore };
let merchantId: string;

beforeAll(async () => {
  claims = createPool(databaseUrl(t.dbName), 1);
  stores = {
    a: new DeliveryStore(t.app.pool, claims, 'worker-a', LEASE_MS),
    b: new DeliveryStore(t.app.pool, claims, 'worker-b', LEASE_MS),
  };
  merchantId = (await t.merchant()).merchantId;
});
afterAll(async () => {
  await claims.end();
});

/** An endpoint owned by `owner`, with `n` due deliveries of events already published. */
async function backlog(owner: string, n: number) {
  const endpointId = `we_${randomBytes(6).toString('hex')}`;
  const q = (text: string, values: unknown[]) => t.app.pool.query(text, values);
  await q(
    `insert into webhook_endpoints (id, merchant_id, mode, url, secret_ciphertext)
     values ($1, $2, 'test', 'https://receiver.example/hook', '\\x00')`,
    [endpointId, merchantId],
  );
  await q(
    `insert into webhook_dispatch_owners (endpoint_id, owner, until) values ($1, $2, now() + interval '1 hour')`,
    [endpointId, owner],
  );
  const events = Array.from({ length: n }, (_, i) => `evt_${endpointId}_${i}`);
  await q(
    `insert into events (id, merchant_id, mode, type, payload, published_at)
     select id, $2, 'test', 'transfer.completed', '{"amount":"1.00"}', now() from unnest($1::text[]) as id`,
    [events, merchantId],
  );
  await q(
    `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode, next_attempt_at)
     select id, $2, $3, 'test', now() - interval '1 minute' from unnest($1::text[]) as id`,
    [events, endpointId, merchantId],
  );
  return { endpointId, events };
}

/** The endpoint disabled, as the merchant's disable writes it. */
async function closeOf(endpointId: string) {
  await t.app.pool.query(
    `update webhook_endpoints set status = 'disabled', disabled_reason = 'disabled by the merchant',
       updated_at = now() where id = $1`,
    [endpointId],
  );
}

async function deliveries(endpointId: string) {
  const r = await t.app.pool.query(
    `select event_id, status, attempts, lease_owner, last_error from webhook_deliveries
     where endpoint_id = $1 order by event_id`,
    [endpointId],
  );
  return r.rows;
}

const attemptsLogged = async (endpointId: string) =>
  Number(
    (await t.app.pool.query('select count(*) from webhook_attempts where endpoint_id = $1', [endpointId]))
      .rows[0].count,
  );

/** The claim (its version) of a delivery among those claimed. */
const claimOf = (claimed: Claimed[], eventId: string, endpointId: string) =>
  claimed.find((d) => d.eventId === eventId && d.endpointId === endpointId)!.version;

const success = (eventId: string, endpointId: string, claimed: Claimed[]) => ({
  eventId,
  endpointId,
  version: claimOf(claimed, eventId, endpointId),
  attempt: 1,
  statusCode: 200,
  latencyMs: 3,
  snippet: 'ok',
  recovers: false,
});

const failure = (eventId: string, endpointId: string, claimed: Claimed[], error = 'HTTP 500'): Failure => ({
  eventId,
  endpointId,
  version: claimOf(claimed, eventId, endpointId),
  attempt: 1,
  statusCode: 500,
  latencyMs: 3,
  snippet: 'no',
  error,
  last: false,
  retryMs: 60_000,
});

/** Another connection's open transaction, holding each delivery row it touches until `commit`. */
async function anotherTransaction(endpointId: string) {
  const other = new pg.Client({ connectionString: databaseUrl(t.dbName) });
  await other.connect();
  await other.query('begin');
  return {
    touch: (eventId: string) =>
      other.query(
        `update webhook_deliveries set updated_at = now() where event_id = $1 and endpoint_id = $2`,
        [eventId, endpointId],
      ),
    commit: async () => {
      try {
        await other.query('commit');
      } finally {
        await other.end();
      }
    },
  };
}

/** How each of two concurrent writes ended: 'ok', or its error's message ("deadlock detected"). */
const bothSettled = async (a: Promise<unknown> | undefined, b: Promise<unknown> | undefined) =>
  (await Promise.allSettled([a, b])).map((r) =>
    r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message,
  );

/** Until a statement whose text is `like` waits for a lock. */
const waiting = async (like: string) =>
  eventually(async () => {
    const r = await t.app.pool.query(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and query like $1`,
      [like],
    );
    return r.rows[0].n > 0 ? true : null;
  });

/**
 * Two endpoints of a new merchant whose bodies its API key signs (failing for an hour when `failing`), made
 * last id first (a scan of the table meets them against id order), each with a due delivery worker-a claimed.
 */
async function keyEndpoints(failing: boolean) {
  const m = await t.merchant('test');
  const [e1, e2] = [
    `we_${randomBytes(6).toString('hex')}`,
    `we_${randomBytes(6).toString('hex')}`,
  ].sort() as [string, string];
  const q = (text: string, values: unknown[]) => t.app.pool.query(text, values);
  for (const id of [e2, e1])
    await q(
      `insert into webhook_endpoints (id, merchant_id, mode, url, secret_ciphertext, body_signing_key_id, failing_since)
       values ($1, $2, 'test', 'https://receiver.example/hook', '\\x00', $3,
               case when $4 then now() - interval '1 hour' end)`,
      [id, m.merchantId, m.keyId, failing],
    );
  // Owned by worker-a; one published event each, its delivery due.
  await q(
    `with o as (insert into webhook_dispatch_owners (endpoint_id, owner, until)
                select id, 'worker-a', now() + interval '1 hour' from unnest($1::text[]) as id returning 1),
          e as (insert into events (id, merchant_id, mode, type, payload, published_at)
                select 'evt_' || id, $2, 'test', 'transfer.completed', '{"amount":"1.00"}', now()
                from unnest($1::text[]) as id returning 1)
     insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode, next_attempt_at)
     select 'evt_' || id, id, $2, 'test', now() - interval '1 minute' from unnest($1::text[]) as id`,
    [[e1, e2], m.merchantId],
  );
  const claimed = await stores.a.claim(
    new Map([
      [e1, 10],
      [e2, 10],
    ]),
    10,
  );
  expect(claimed).toHaveLength(2);
  return { m, e1, e2, claimed };
}

/**
 * Two writes started by `start` (each waiting for a lock when it returns) while another transaction holds the
 * endpoint row `endpointId`, then that transaction committed: how each write ended (bothSettled).
 */
async function whileHeld(endpointId: string, start: () => Promise<[Promise<unknown>, Promise<unknown>]>) {
  const holder = new pg.Client({ connectionString: databaseUrl(t.dbName) });
  await holder.connect();
  let writes: [Promise<unknown>, Promise<unknown>] | [] = [];
  try {
    await holder.query('begin');
    await holder.query('update webhook_endpoints set updated_at = now() where id = $1', [endpointId]);
    writes = await start();
    await holder.query('commit');
  } finally {
    await holder.end();
  }
  return bothSettled(writes[0], writes[1]);
}

/** Whether each of these endpoints (in id order) is marked failing. */
const failingMarks = async (ids: string[]) =>
  (
    await t.app.pool.query(
      'select failing_since is not null as f from webhook_endpoints where id = any($1) order by id',
      [ids],
    )
  ).rows.map((r) => r.f as boolean);

/** The dispatcher's outcome writer over worker-a's store; `done` resolves once what it was given is written. */
function writer() {
  const { log, lines } = capturedLog<{ level: number; msg: string }>();
  const retried: string[] = [];
  let settle = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const w = new OutcomeWriter(stores.a, 3_600_000, log, {
    written: () => undefined,
    retry: (f) => retried.push(f.eventId),
    settled: () => settle(),
    disabled: () => undefined,
  });
  return { w, done, lines, retried };
}

describe('webhook outcome batches', () => {
  it("commits a batch's successes and failures together, in one transaction", async () => {
    const { endpointId, events } = await backlog('worker-a', 2);
    const claimed = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    // Another connection holds the failed delivery's row, so the batch (its rows locked in key order first,
    // then its successes' and its failures' statements) waits for it.
    const holder = new pg.Client({ connectionString: databaseUrl(t.dbName) });
    await holder.connect();
    const { w, done, retried } = writer();
    try {
      await holder.query('begin');
      await holder.query(
        'select 1 from webhook_deliveries where event_id = $1 and endpoint_id = $2 for update',
        [events[1], endpointId],
      );
      w.success(success(events[0]!, endpointId, claimed));
      w.failure(failure(events[1]!, endpointId, claimed));
      w.flush();
      await eventually(async () => {
        const r = await t.app.pool.query(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like '%webhook_deliveries%'`,
        );
        return r.rows[0].n > 0 ? true : null;
      });
      // The success is not committed ahead of the failure (apart, it was, with a commit of its own).
      expect((await deliveries(endpointId)).map((d) => d.status)).toEqual(['pending', 'pending']);
      await holder.query('commit');
      await done;
    } finally {
      await holder.end();
    }
    expect((await deliveries(endpointId)).map((d) => [d.status, d.attempts, d.last_error])).toEqual([
      ['succeeded', 1, null],
      ['pending', 1, 'HTTP 500'],
    ]);
    expect(await attemptsLogged(endpointId)).toBe(2);
    expect(retried).toEqual([events[1]]);
  });

  it("writes a batch's successes when its failures cannot be written", async () => {
    const { endpointId, events } = await backlog('worker-a', 2);
    const claimed = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    const { w, done, lines, retried } = writer();
    // PostgreSQL refuses a NUL in text: the failures' statement fails, and with it the transaction.
    w.success(success(events[0]!, endpointId, claimed));
    w.failure(failure(events[1]!, endpointId, claimed, 'bad\u0000error'));
    w.flush();
    await done;
    expect((await deliveries(endpointId)).map((d) => [d.status, d.lease_owner])).toEqual([
      ['succeeded', null],
      ['pending', 'worker-a'], // still leased: sent again once the lease lapses
    ]);
    expect(await attemptsLogged(endpointId)).toBe(1);
    expect(retried).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('could not write webhook outcomes');
  });

  it("writes each delivery this worker still holds and leaves the ones it lost, without losing the others'", async () => {
    const { endpointId, events } = await backlog('worker-a', 4);
    const claimed = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    expect(claimed.map((d) => d.eventId).sort()).toEqual([...events].sort());
    // Meanwhile another worker took the second (its lease had lapsed) and the third was redelivered.
    await t.app.pool.query(
      `update webhook_deliveries set lease_owner = 'worker-b' where event_id = $1 and endpoint_id = $2`,
      [events[1], endpointId],
    );
    await t.app.pool.query(
      `update webhook_deliveries set lease_owner = null, leased_until = null where event_id = $1 and endpoint_id = $2`,
      [events[2], endpointId],
    );
    const written = await stores.a.recordSuccesses(
      events.slice(0, 3).map((e) => success(e, endpointId, claimed)),
    );
    expect(written).toBe(1);
    const failed = await stores.a.recordFailures(
      [
        {
          eventId: events[3]!,
          endpointId,
          version: claimOf(claimed, events[3]!, endpointId),
          attempt: 1,
          statusCode: 500,
          latencyMs: 3,
          snippet: 'no',
          error: 'HTTP 500',
          last: false,
          retryMs: 60_000,
        },
      ],
      3_600_000,
    );
    expect([...failed.disabled]).toEqual([]);
    expect(await deliveries(endpointId)).toEqual([
      { event_id: events[0], status: 'succeeded', attempts: 1, lease_owner: null, last_error: null },
      { event_id: events[1], status: 'pending', attempts: 0, lease_owner: 'worker-b', last_error: null },
      { event_id: events[2], status: 'pending', attempts: 0, lease_owner: null, last_error: null },
      { event_id: events[3], status: 'pending', attempts: 1, lease_owner: null, last_error: 'HTTP 500' },
    ]);
    // Every attempt is logged, written or not (the request was made).
    expect(await attemptsLogged(endpointId)).toBe(4);
  });

  it('writes a batch whose rows a lease renewal holds once the renewal commits', async () => {
    const { endpointId, events } = await backlog('worker-a', 3);
    const claimed = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    // A renewal of the same leases, from another connection, still open.
    const renewal = new pg.Client({ connectionString: databaseUrl(t.dbName) });
    await renewal.connect();
    try {
      await renewal.query('begin');
      await renewal.query(
        `update webhook_deliveries set leased_until = now() + interval '1 minute'
         where endpoint_id = $1 and lease_owner = 'worker-a'`,
        [endpointId],
      );
      const write = stores.a.recordSuccesses(events.map((e) => success(e, endpointId, claimed)));
      await eventually(async () => {
        const r = await t.app.pool.query(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into webhook_attempts%'`,
        );
        return r.rows[0].n > 0 ? true : null;
      });
      await renewal.query('commit');
      expect(await write).toBe(3);
    } finally {
      await renewal.end();
    }
    expect((await deliveries(endpointId)).map((d) => d.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(await attemptsLogged(endpointId)).toBe(3);
  });

  it('renews around rows another transaction holds, so a renewal and an outcome write never deadlock', async () => {
    // Seen in the webhooks bench: the lease renewal and an outcome batch updated the same deliveries in
    // different orders, each waiting for a row the other held ("deadlock detected"). The renewal skips rows
    // another transaction holds (their writer is ending or renewing them anyway) and so never waits.
    const { endpointId, events } = await backlog('worker-a', 2);
    await stores.a.claim(new Map([[endpointId, 10]]), 10);
    const leases = async () =>
      (
        await t.app.pool.query(
          `select event_id, leased_until from webhook_deliveries where endpoint_id = $1 order by event_id`,
          [endpointId],
        )
      ).rows.map((r) => (r.leased_until as Date).getTime());
    const before = await leases();
    // Another transaction holds the second delivery and will want the first one next.
    const other = await anotherTransaction(endpointId);
    try {
      await other.touch(events[1]!);
      await stores.a.renew(events.map((eventId) => ({ eventId, endpointId })));
      await other.touch(events[0]!);
    } finally {
      await other.commit();
    }
    const after = await leases();
    expect(after[0]).toBeGreaterThan(before[0]!);
    expect(after[1]).toBe(before[1]);
  });

  it('closes around rows another transaction holds, so a close and an outcome write never deadlock', async () => {
    // A closed endpoint's backlog is failed by the worker that meets it (closeEndpoint), which takes its own
    // in-flight deliveries too; its outcome batch for some of them may be writing at that moment.
    const { endpointId, events } = await backlog('worker-a', 2);
    await stores.a.claim(new Map([[endpointId, 10]]), 10);
    await closeOf(endpointId);
    const other = await anotherTransaction(endpointId);
    try {
      await other.touch(events[1]!);
      expect(await stores.a.closeEndpoint(endpointId, 'endpoint deleted')).toBe(1);
      await other.touch(events[0]!);
    } finally {
      await other.commit();
    }
    expect((await deliveries(endpointId)).map((d) => d.status)).toEqual(['failed', 'pending']);
    // The next close takes the row it skipped.
    expect(await stores.a.closeEndpoint(endpointId, 'endpoint deleted')).toBe(1);
    expect((await deliveries(endpointId)).map((d) => [d.status, d.last_error])).toEqual([
      ['failed', 'endpoint deleted'],
      ['failed', 'endpoint deleted'],
    ]);
  });

  it('closes nothing of an endpoint enabled again since the worker read it closed', async () => {
    // The worker reads an endpoint closed (a claim's row, or the endpoint read on a closed: NOTIFY), then
    // closes its backlog; a merchant's re-enable in between, and what the relay fanned out to it since, is
    // not a closed endpoint's backlog. The close failed it all unsent ('endpoint disabled by the merchant').
    const { endpointId } = await backlog('worker-a', 3);
    const claimed = await stores.a.claim(new Map([[endpointId, 1]]), 1);
    expect(claimed).toHaveLength(1);
    await closeOf(endpointId);
    await t.app.pool.query(
      `update webhook_endpoints set status = 'enabled', disabled_reason = null, updated_at = now() where id = $1`,
      [endpointId],
    );
    expect(await stores.a.closeEndpoint(endpointId, 'endpoint disabled by the merchant')).toBeNull();
    expect((await deliveries(endpointId)).map((d) => [d.status, d.last_error])).toEqual([
      ['pending', null],
      ['pending', null],
      ['pending', null],
    ]);
    // Closed, it is closed whole.
    await closeOf(endpointId);
    expect(await stores.a.closeEndpoint(endpointId, 'endpoint disabled by the merchant')).toBe(3);
  });

  it('never deadlocks a redelivery with an outcome batch, whichever row another transaction holds first', async () => {
    // A merchant's redelivery of an event (every endpoint subscribed to it) and the worker's outcome batch for
    // the same deliveries each wait for rows another transaction holds. Taken in different orders, each held
    // a row the other wanted: PostgreSQL cancelled one (a 500 for the merchant, or outcomes written again once
    // their leases lapsed: the deliveries sent twice). Both take the rows in key order.
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: 'test' as const };
    const endpoints = [`we_${randomBytes(6).toString('hex')}`, `we_${randomBytes(6).toString('hex')}`].sort();
    const eventId = `evt_redeliver_${randomBytes(6).toString('hex')}`;
    const q = (text: string, values: unknown[]) => t.app.pool.query(text, values);
    // The later id created first: a redelivery, which targets the endpoints in the order they were made, meets
    // them against their key order.
    for (const id of [...endpoints].reverse()) {
      await q(
        `insert into webhook_endpoints (id, merchant_id, mode, url, secret_ciphertext)
         values ($1, $2, 'test', 'https://receiver.example/hook', '\\x00')`,
        [id, m.merchantId],
      );
      await q(
        `insert into webhook_dispatch_owners (endpoint_id, owner, until) values ($1, 'worker-a', now() + interval '1 hour')`,
        [id],
      );
    }
    await q(
      `insert into events (id, merchant_id, mode, type, payload, published_at)
       values ($1, $2, 'test', 'transfer.completed', '{"amount":"1.00"}', now())`,
      [eventId, m.merchantId],
    );
    const [first, second] = endpoints as [string, string];
    // Successes in either order, and a batch of both kinds: the later key's success and the earlier one's
    // failure (two statements in one transaction, successes first).
    const batches = [
      (c: Claimed[]) => stores.a.recordSuccesses(endpoints.map((e) => success(eventId, e, c))),
      (c: Claimed[]) => stores.a.recordSuccesses([...endpoints].reverse().map((e) => success(eventId, e, c))),
      (c: Claimed[]) =>
        stores.a.recordOutcomes([success(eventId, second, c)], [failure(eventId, first, c)], 3_600_000),
    ];
    for (const held of endpoints) {
      for (const write of batches) {
        await q(
          `insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode, next_attempt_at)
           select $1, unnest($2::text[]), $3, 'test', now() - interval '1 minute'
           on conflict (event_id, endpoint_id) do update set status = 'pending', next_attempt_at = excluded.next_attempt_at`,
          [eventId, endpoints, m.merchantId],
        );
        const claimed = await stores.a.claim(new Map(endpoints.map((e) => [e, 10])), 10);
        expect(claimed).toHaveLength(2);
        const other = await anotherTransaction(held);
        let batch: Promise<unknown> | undefined;
        let redelivery: Promise<unknown> | undefined;
        try {
          await other.touch(eventId);
          batch = write(claimed);
          await waiting('%lease_owner%');
          redelivery = t.app.services.webhooks.redeliver(tenant, eventId);
          await waiting('%on conflict (event_id, endpoint_id)%');
        } finally {
          await other.commit();
        }
        expect(await bothSettled(batch, redelivery)).toEqual(['ok', 'ok']);
        // The redelivery always happens: whatever the batch wrote first, both deliveries are due again.
        const rows = await t.app.pool.query(
          `select status, lease_owner from webhook_deliveries where event_id = $1 order by endpoint_id`,
          [eventId],
        );
        expect(rows.rows).toEqual([
          { status: 'pending', lease_owner: null },
          { status: 'pending', lease_owner: null },
        ]);
      }
    }
  });

  it('writes nothing of an attempt started before a redelivery, when the same worker claims the delivery again', async () => {
    // A merchant redelivers a delivery while this worker is still sending it; the redelivery's NOTIFY wakes the
    // same worker, which claims it again (the lease is in its name once more) and sends it a second time. The
    // first attempt's outcome, written after that, wrote the delivery over the redelivery: a last failure
    // marked it failed though the redelivery's send succeeded (written nothing: its lease was gone), a
    // retryable one set it pending with a retry, so it was sent a third time.
    const { endpointId, events } = await backlog('worker-a', 1);
    const eventId = events[0]!;
    const first = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    expect(first).toHaveLength(1);
    await t.app.services.webhooks.redeliver({ merchantId, mode: 'test' }, eventId, endpointId);
    const again = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    expect(again).toHaveLength(1);
    // The first attempt fails for good; its outcome is logged, but the delivery is the redelivery's.
    await stores.a.recordFailures([{ ...failure(eventId, endpointId, first), last: true }], 3_600_000);
    expect((await deliveries(endpointId)).map((d) => [d.status, d.lease_owner])).toEqual([
      ['pending', 'worker-a'],
    ]);
    // The redelivery's send succeeds, and is written.
    expect(await stores.a.recordSuccesses([success(eventId, endpointId, again)])).toBe(1);
    expect((await deliveries(endpointId)).map((d) => [d.status, d.lease_owner])).toEqual([
      ['succeeded', null],
    ]);
    expect(await attemptsLogged(endpointId)).toBe(2);
  });

  it("writes only the current claim's outcome when both claims' outcomes of a delivery are in one batch", async () => {
    // The case above, with both outcomes in one batch (the first send's answer and the redelivery's arrive
    // within the writer's few milliseconds): each statement locked the delivery's one row under its current
    // claim, but joined the batch to it by key alone, so both outcomes matched it and PostgreSQL wrote either
    // one. Each order of the two in the batch, in the successes statement, the failures statement, and a batch
    // of both kinds (its two statements, and the failures' pair beside another delivery's success).
    const twoClaims = async () => {
      const { endpointId, events } = await backlog('worker-a', 2);
      const eventId = events[0]!;
      const first = await stores.a.claim(new Map([[endpointId, 10]]), 10);
      expect(first).toHaveLength(2);
      await t.app.services.webhooks.redeliver({ merchantId, mode: 'test' }, eventId, endpointId);
      const again = await stores.a.claim(new Map([[endpointId, 10]]), 10);
      expect(again).toHaveLength(1);
      return { endpointId, eventId, other: events[1]!, first, again };
    };
    const delivery = async (endpointId: string, eventId: string) =>
      (
        await t.app.pool.query(
          `select status, last_status_code, last_error, lease_owner from webhook_deliveries
           where event_id = $1 and endpoint_id = $2`,
          [eventId, endpointId],
        )
      ).rows[0];
    for (const staleFirst of [true, false]) {
      const pair = <T>(stale: T, current: T) => (staleFirst ? [stale, current] : [current, stale]);
      // Successes: the stale one answered 299, the current one 200.
      {
        const c = await twoClaims();
        const stale = { ...success(c.eventId, c.endpointId, c.first), statusCode: 299 };
        const current = success(c.eventId, c.endpointId, c.again);
        expect(await stores.a.recordSuccesses(pair(stale, current))).toBe(1);
        expect(await delivery(c.endpointId, c.eventId)).toEqual({
          status: 'succeeded',
          last_status_code: 200,
          last_error: null,
          lease_owner: null,
        });
      }
      // Failures: the stale one final, the current one retried.
      {
        const c = await twoClaims();
        const stale = { ...failure(c.eventId, c.endpointId, c.first, 'stale'), last: true };
        const current = failure(c.eventId, c.endpointId, c.again, 'current');
        await stores.a.recordFailures(pair(stale, current), 3_600_000);
        expect(await delivery(c.endpointId, c.eventId)).toEqual({
          status: 'pending',
          last_status_code: 500,
          last_error: 'current',
          lease_owner: null,
        });
      }
      // A batch of both kinds: the two claims' failures with another delivery's success, then the two claims'
      // successes with another delivery's failure.
      {
        const c = await twoClaims();
        const stale = { ...failure(c.eventId, c.endpointId, c.first, 'stale'), last: true };
        const current = failure(c.eventId, c.endpointId, c.again, 'current');
        await stores.a.recordOutcomes(
          [success(c.other, c.endpointId, c.first)],
          pair(stale, current),
          3_600_000,
        );
        expect(await delivery(c.endpointId, c.eventId)).toMatchObject({
          status: 'pending',
          last_error: 'current',
        });
        expect(await delivery(c.endpointId, c.other)).toMatchObject({ status: 'succeeded' });
      }
      {
        const c = await twoClaims();
        const stale = { ...success(c.eventId, c.endpointId, c.first), statusCode: 299 };
        const current = success(c.eventId, c.endpointId, c.again);
        await stores.a.recordOutcomes(
          pair(stale, current),
          [failure(c.other, c.endpointId, c.first)],
          3_600_000,
        );
        expect(await delivery(c.endpointId, c.eventId)).toMatchObject({
          status: 'succeeded',
          last_status_code: 200,
        });
        expect(await delivery(c.endpointId, c.other)).toMatchObject({
          status: 'pending',
          last_error: 'HTTP 500',
        });
      }
    }
    // And the two kinds across the statements: a stale success with the current claim's failure, and back.
    {
      const c = await twoClaims();
      await stores.a.recordOutcomes(
        [success(c.eventId, c.endpointId, c.first)],
        [failure(c.eventId, c.endpointId, c.again, 'current')],
        3_600_000,
      );
      expect(await delivery(c.endpointId, c.eventId)).toMatchObject({
        status: 'pending',
        last_error: 'current',
      });
    }
    {
      const c = await twoClaims();
      await stores.a.recordOutcomes(
        [success(c.eventId, c.endpointId, c.again)],
        [{ ...failure(c.eventId, c.endpointId, c.first, 'stale'), last: true }],
        3_600_000,
      );
      expect(await delivery(c.endpointId, c.eventId)).toMatchObject({
        status: 'succeeded',
        last_error: null,
      });
    }
  });

  it("keeps renewing the second claim's lease after the first send's outcome, when the same worker claims a delivery again", async () => {
    // The case above, for the leases this worker renews (held.ts): the first send's outcome let go of the
    // delivery by its key, the second claim's with it, so that lease was no longer renewed; queued behind a
    // slow endpoint it lapsed, and the worker claimed and sent the delivery a third time.
    const { endpointId, events } = await backlog('worker-a', 1);
    const eventId = events[0]!;
    const held = new HeldDeliveries(stores.a, null as never, () => [], capturedLog().log);
    const [first] = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    held.add(first!);
    await t.app.services.webhooks.redeliver({ merchantId, mode: 'test' }, eventId, endpointId);
    const [again] = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    held.add(again!);
    // The first send's outcome is written (nothing of it lands) and the worker lets go of what it was for.
    await stores.a.recordFailures([{ ...failure(eventId, endpointId, [first!]), last: true }], 3_600_000);
    held.delete({ eventId, endpointId, version: first!.version });
    expect([...held.values()]).toEqual([{ eventId, endpointId, version: again!.version }]);
    // What the renewal sends is what keeps the lease: the second claim's is renewed.
    const lease = async () =>
      (
        await t.app.pool.query<{ leased_until: Date }>(
          'select leased_until from webhook_deliveries where event_id = $1 and endpoint_id = $2',
          [eventId, endpointId],
        )
      ).rows[0]!.leased_until.getTime();
    const before = await lease();
    await stores.a.renew([...held.values()]);
    expect(await lease()).toBeGreaterThan(before);
    // Its own outcome lets go of it.
    held.delete({ eventId, endpointId, version: again!.version });
    expect([...held.values()]).toEqual([]);
  });

  it("never deadlocks a redelivery with the relay's fan-out of the same event", async () => {
    // The relay inserts an event's deliveries in its transaction (fan-out.ts), waiting for any row another
    // transaction is inserting; a merchant's redelivery of the event to every endpoint (sent as soon as the
    // event exists, before the relay has got to it) inserts the same rows. The fan-out took the endpoints in
    // the order the endpoint query gave them, the redelivery in key order: each inserted a row the other
    // then waited for ("deadlock detected": a 500 for the merchant, or the relay's pass rolled back). Another
    // transaction holding the middle row (redelivered alone earlier) lets the redelivery start first here.
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: 'test' as const };
    const [a, mid, b] = Array.from({ length: 3 }, () => `we_${randomBytes(6).toString('hex')}`).sort() as [
      string,
      string,
      string,
    ];
    const eventId = `evt_fanout_${randomBytes(6).toString('hex')}`;
    const q = (text: string, values: unknown[]) => t.app.pool.query(text, values);
    // Made last key first: the fan-out's endpoint query returns them in that order.
    for (const id of [b, mid, a])
      await q(
        `insert into webhook_endpoints (id, merchant_id, mode, url, secret_ciphertext)
         values ($1, $2, 'test', 'https://receiver.example/hook', '\\x00')`,
        [id, m.merchantId],
      );
    const createdAt = new Date();
    await q(
      `insert into events (id, merchant_id, mode, type, payload, created_at)
       values ($1, $2, 'test', 'transfer.completed', '{"amount":"1.00"}', $3)`,
      [eventId, m.merchantId, createdAt],
    );
    await t.app.services.webhooks.redeliver(tenant, eventId, mid);
    const other = await anotherTransaction(mid);
    const relay = await t.app.pool.connect();
    let redelivery: Promise<unknown> | undefined;
    let fanOut: Promise<unknown> | undefined;
    try {
      await other.touch(eventId);
      redelivery = t.app.services.webhooks.redeliver(tenant, eventId);
      await waiting('%on conflict (event_id, endpoint_id)%');
      await relay.query('begin');
      fanOut = recordDeliveries(relay, [
        {
          id: eventId,
          type: 'transfer.completed',
          merchantId: m.merchantId,
          mode: 'test',
          data: { amount: '1.00' },
          createdAt,
          publishedAt: null,
        },
      ]);
      // The fan-out waits for the row the redelivery has inserted (the first key), or has none to wait for.
      await Promise.race([fanOut.catch(() => undefined), waiting('%on conflict do nothing%')]);
    } finally {
      await other.commit();
    }
    const outcome = await bothSettled(redelivery, fanOut);
    await relay.query(outcome[1] === 'ok' ? 'commit' : 'rollback');
    relay.release();
    expect(outcome).toEqual(['ok', 'ok']);
    const rows = await q(
      'select endpoint_id, status from webhook_deliveries where event_id = $1 order by endpoint_id',
      [eventId],
    );
    expect(rows.rows).toEqual([a, mid, b].map((endpoint_id) => ({ endpoint_id, status: 'pending' })));
  });

  it("never deadlocks a key rotation with an outcome batch that marks the key's endpoints failing", async () => {
    // Rotating an API key moves every endpoint whose body it signs to the new key, in one statement; a
    // worker's failures write locks the endpoints it marks failing (their first failure) in id order. The
    // rotation took them in the table's order: each held an endpoint the other wanted ("deadlock detected":
    // a 500 for the rotation, or the outcome write cancelled and its deliveries sent again). Another
    // transaction holding the first endpoint lets the failures write take it first here.
    const { m, e1, e2, claimed } = await keyEndpoints(false);
    const outcome = await whileHeld(e1, async () => {
      const failures = stores.a.recordFailures(
        claimed.map((d) => failure(d.eventId, d.endpointId, claimed)),
        3_600_000,
      );
      await waiting('%retry_secs%');
      const rotation = t.app.services.merchants.rotateKey(m.keyId);
      await waiting('%set body_signing_key_id%');
      return [failures, rotation];
    });
    expect(outcome).toEqual(['ok', 'ok']);
    const rows = await t.app.pool.query(
      'select id, failing_since is not null as failing, body_signing_key_id <> $2 as moved from webhook_endpoints where id = any($1) order by id',
      [[e1, e2], m.keyId],
    );
    expect(rows.rows).toEqual([
      { id: e1, failing: true, moved: true },
      { id: e2, failing: true, moved: true },
    ]);
  });

  it('never deadlocks a failures write with a transaction that takes a delivery and then its endpoint', async () => {
    // Delivery rows first, then endpoint rows: the documented lock order (store-sql.ts), which a batch of both
    // kinds (its locking statement) and any other writer of both follow. The failures write locked the
    // endpoint it marks failing (its first failure) before its locking step took the deliveries: waiting for a
    // delivery another transaction held, it held that transaction's next row ("deadlock detected": the outcome
    // write cancelled and its deliveries sent again, or the other transaction's error).
    const { endpointId, events } = await backlog('worker-a', 1);
    const claimed = await stores.a.claim(new Map([[endpointId, 10]]), 10);
    const other = new pg.Client({ connectionString: databaseUrl(t.dbName) });
    await other.connect();
    let write: Promise<unknown> | undefined;
    let endpoint: Promise<unknown> | undefined;
    try {
      await other.query('begin');
      await other.query(
        'select 1 from webhook_deliveries where event_id = $1 and endpoint_id = $2 for no key update',
        [events[0], endpointId],
      );
      write = stores.a.recordFailures([failure(events[0]!, endpointId, claimed)], 3_600_000);
      write.catch(() => undefined); // settled below
      await waiting('%retry_secs%');
      // The write waits for the delivery, holding no endpoint row: the other transaction takes its next one.
      endpoint = other.query('select 1 from webhook_endpoints where id = $1 for no key update', [endpointId]);
      const [took] = await bothSettled(endpoint, undefined);
      await other.query(took === 'ok' ? 'commit' : 'rollback');
    } finally {
      await other.end();
    }
    expect(await bothSettled(endpoint, write)).toEqual(['ok', 'ok']);
    expect((await deliveries(endpointId)).map((d) => [d.status, d.last_error])).toEqual([
      ['pending', 'HTTP 500'],
    ]);
    expect(await failingMarks([endpointId])).toEqual([true]);
  });

  it("never deadlocks a key rotation with an outcome batch that clears the key's endpoints' failing mark", async () => {
    // The successes write clears the failing mark of the endpoints that recovered, in one statement: in the
    // table's order, it held an endpoint a rotation (in id order) wanted while waiting for one the rotation
    // held. Another transaction holding the first endpoint lets the rotation take it first here.
    const { m, e1, e2, claimed } = await keyEndpoints(true);
    const outcome = await whileHeld(e1, async () => {
      const rotation = t.app.services.merchants.rotateKey(m.keyId);
      await waiting('%set body_signing_key_id%');
      const successes = stores.a.recordSuccesses(
        claimed.map((d) => ({ ...success(d.eventId, d.endpointId, claimed), recovers: true })),
      );
      await waiting('%latency_ms, snippet, version)%');
      return [successes, rotation];
    });
    expect(outcome).toEqual(['ok', 'ok']);
    expect(await failingMarks([e1, e2])).toEqual([false, false]);
  });

  it("never deadlocks a key rotation with a batch that clears one endpoint's failing mark and sets another's", async () => {
    // A batch of both kinds locked the endpoints its successes recovered, then those its failures marked:
    // each set in id order, but not the two together, so a rotation (in id order) could hold the marked one
    // while waiting for the recovered one the batch held.
    const { m, e1, e2, claimed } = await keyEndpoints(false);
    await t.app.pool.query(
      `update webhook_endpoints set failing_since = now() - interval '1 hour' where id = $1`,
      [e2],
    );
    const of = (endpointId: string) => claimed.find((d) => d.endpointId === endpointId)!;
    const outcome = await whileHeld(e1, async () => {
      const rotation = t.app.services.merchants.rotateKey(m.keyId);
      await waiting('%set body_signing_key_id%');
      const batch = stores.a.recordOutcomes(
        [{ ...success(of(e2).eventId, e2, claimed), recovers: true }],
        [failure(of(e1).eventId, e1, claimed)],
        3_600_000,
      );
      await waiting('%as o(event_id, endpoint_id%');
      return [batch, rotation];
    });
    expect(outcome).toEqual(['ok', 'ok']);
    expect(await failingMarks([e1, e2])).toEqual([true, false]);
  });

  it('writes only the deliveries a batch names, not the others this worker holds', async () => {
    // Other deliveries the worker holds on another endpoint are not written by a batch that does not name them.
    const other = await backlog('worker-b', 5);
    await stores.b.claim(new Map([[other.endpointId, 10]]), 10);
    const mine = await backlog('worker-b', 2);
    const claimed = await stores.b.claim(new Map([[mine.endpointId, 10]]), 10);
    expect(await stores.b.recordSuccesses(mine.events.map((e) => success(e, mine.endpointId, claimed)))).toBe(
      2,
    );
    expect(
      (await deliveries(other.endpointId)).every(
        (d) => d.status === 'pending' && d.lease_owner === 'worker-b',
      ),
    ).toBe(true);
  });
});
