import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createPool, type Pool } from '../../../db/database.js';
import type { Logger } from '../../../lib/logger.js';
import { CLOSED_PREFIX, type WebhooksService } from '../service.js';
import { ProbeBackoff } from './backoff.js';
import type { DispatcherConfig, DispatcherHooks } from './dispatcher-config.js';
import { EndpointQueues, type EndpointState, endpointSecrets, READY_PER_SLOT } from './endpoint-queues.js';
import { HeldDeliveries } from './held.js';
import { OutcomeWriter } from './outcomes.js';
import { EndpointOwnership, OwnedEndpoints } from './ownership.js';
import { retryDelayMs } from './schedule.js';
import { DeliverySender } from './sender.js';
import { type Claimed, closedReason, DeliveryStore } from './store.js';
import { Wakeups } from './wakeups.js';

// The webhook dispatcher of one worker process (issue 13: "webhooks that keep up with the ledger"). The
// database is the queue: each endpoint is dispatched by one worker at a time, which owns it under a lease
// (ownership.ts: a fair share of the busy endpoints per live worker), so an endpoint's order and cap hold
// across workers. The dispatcher claims its endpoints' due deliveries with a lease in its name (renewed while
// it holds them: held.ts), keeps a few rounds per endpoint claimed and ready in memory so a finished POST is
// followed by the next at once, sends at most `perEndpoint` at a time to one endpoint and `concurrency` in
// all (a slow receiver holds only its own slots; a failing one gets one probe at a time, spaced out:
// backoff.ts), and writes outcomes many to a statement (outcomes.ts). A NOTIFY from the outbox relay wakes
// it; retries wake it by a timer (the one its failures write set, and one for the next due delivery of the
// endpoints it claims for: wakeWhenDue), and by BullMQ's mirror job (jobs/webhooks.ts); a poll is the
// backstop. A worker killed with SIGKILL loses nothing: its leases lapse after `leaseMs` and another worker
// sends what it held.

export class DeliveryDispatcher {
  readonly store: DeliveryStore;
  /** The endpoints this worker dispatches (ownership.ts). */
  private readonly owned: OwnedEndpoints;
  private readonly sender: DeliverySender;
  private readonly endpoints: EndpointQueues;
  private readonly backoff: ProbeBackoff;
  /** Every delivery this worker holds a lease on, and their renewal (held.ts). */
  private readonly held: HeldDeliveries;
  /** The claims' own connection (one claim runs at a time), committing without waiting for the WAL flush. */
  private readonly claimPool: Pool;
  private readonly outcomes: OutcomeWriter;
  private active = 0;
  private claiming: Promise<void> | null = null;
  private again = false;
  /** When the wake-up for the next due delivery fires (wakeWhenDue; none: Infinity). */
  private dueAt = Number.POSITIVE_INFINITY;
  private readonly wake: Wakeups;
  private stopped = true;
  private idle: (() => void)[] = [];
  /**
   * Endpoints a `closed:` NOTIFY named, while the dispatcher finds out whether to fail what it has queued for
   * them (closeQueued): none of their queued deliveries is started meanwhile. A count per endpoint, as
   * NOTIFYs for one endpoint may overlap.
   */
  private readonly closing = new Map<string, number>();
  /** The closes closeQueued has under way, for stop() to wait for. */
  private readonly closes = new Set<Promise<void>>();
  /** Counters for tests and the benchmark. */
  readonly stats = { claims: 0, claimed: 0, sent: 0 };

  constructor(
    pool: Pool,
    private readonly webhooks: WebhooksService,
    private readonly config: DispatcherConfig,
    private readonly log: Logger,
    private readonly hooks: DispatcherHooks = {},
  ) {
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    // A claim unanswered for a lease fails and its connection is dropped: waited for (a server gone silent
    // mid-claim), it held every wake-up of this worker while the heartbeat and the ownership of its endpoints
    // went on being renewed, and those endpoints got nothing, here or from another worker. What a late answer
    // would have leased lapses by then anyway.
    this.claimPool = createPool(config.databaseUrl, 1, { asyncCommit: true, queryTimeoutMs: config.leaseMs });
    this.store = new DeliveryStore(pool, this.claimPool, owner, config.leaseMs);
    this.owned = new OwnedEndpoints(new EndpointOwnership(pool, owner, config.leaseMs), log, (id) =>
      this.inHand(id),
    );
    this.held = new HeldDeliveries(this.store, this.owned, () => this.endpoints.busy(), log);
    this.wake = new Wakeups(config.databaseUrl, log);
    this.sender = new DeliverySender(webhooks.targets, config.timeoutMs);
    this.endpoints = new EndpointQueues(config.perEndpoint, config.concurrency);
    this.backoff = new ProbeBackoff(
      config.failingProbeMs ?? 1000,
      config.failingProbeMaxMs ?? 60_000,
      this.wake,
    );
    this.outcomes = new OutcomeWriter(this.store, config.disableAfterMs, log, {
      written: (keys) => {
        for (const k of keys) this.held.delete(k);
        this.owned.releaseDrained();
      },
      retry: (f) => {
        this.wake.after(f.retryMs, () => this.kick());
        this.hooks.retryScheduled?.(f.eventId, f.endpointId, f.attempt, f.retryMs);
      },
      settled: () => this.settleIfIdle(),
      // Disabled by this worker's own failures write: no NOTIFY comes (the endpoint is this worker's).
      disabled: (id) => this.closed(id),
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.owned.renew(() => []); // the heartbeat first: the others count this worker in their share
    this.wake.every(this.config.pollMs, () => this.kick());
    // Leases are renewed until the very end of stop(), past the wake-ups.
    this.held.start(this.config.leaseMs);
    await this.wake.listen((payload) => {
      // Disabled or deleted: no more waiting for a probe; its backlog is failed at its next claim, now, and
      // what this worker has queued for it is failed unsent with it, not sent as its slots free up.
      if (payload?.startsWith(CLOSED_PREFIX)) this.closed(payload.slice(CLOSED_PREFIX.length));
      // Listening again after a gap (no payload): a `closed:` sent meanwhile was lost, so every endpoint with
      // deliveries queued here is looked at again (closeQueued reads it, and fails nothing of an enabled one).
      if (payload === undefined) for (const id of this.endpoints.busy()) this.track(this.closeQueued(id));
      this.kick();
    });
    this.kick();
  }

  /** Claims and sends now, or right after the claim in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claim()
      .catch((err) =>
        this.log.warn({ err: (err as Error).message }, 'webhook claim failed; retrying on the next wake-up'),
      )
      .finally(() => {
        this.claiming = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * A pass: claims what the owned endpoints want, then starts what may start. It starts queued deliveries even
   * when it claims nothing: the back-off's wake-up at the end of an endpoint's rest is such a pass, and the
   * endpoint's probe may already be queued (claimed before it failed, and no pass during its rest gave it
   * back), so it wants nothing new; returning there left its deliveries queued for as long as the worker ran.
   * The pump judges by the pass's own clock reading: the pass skipped the endpoints resting at `now`, so each
   * must get a wake-up for the end of its rest. Read again after the claim's queries, a rest that ended
   * meanwhile (a slow pass, or the back-off's timer firing a millisecond before its time, as Node's timers do
   * against Date.now()) was over for the pump, which set no wake-up for it, and nothing was claimed for the
   * endpoint: it waited, pending, for another wake-up (a new event, a retry's timer, the poll).
   */
  private async claim(): Promise<void> {
    if (this.hooks.paused && (await this.hooks.paused())) return;
    const now = Date.now();
    try {
      await this.claimWanted(now);
    } finally {
      if (!this.stopped) this.pump(now); // stopping: what it claimed is given back (stop), not started
    }
  }

  private async claimWanted(now: number): Promise<void> {
    this.tidy(now); // before `room`: what resting endpoints held must not count against the others
    const room = (READY_PER_SLOT / 2) * this.config.concurrency - this.endpoints.queued - this.active;
    if (room <= 0) return;
    const owned = await this.owned.refresh();
    // Each owned endpoint asks for what tops it up to `ready`; one backing off, for its next probe only.
    const wants = new Map<string, number>();
    for (const id of owned) {
      if (this.backoff.resting(id, now)) continue;
      const e = this.endpoints.byId.get(id);
      const ready = this.backoff.probing(id) ? 1 : e ? this.endpoints.ready(e) : this.endpoints.ready();
      const n = e ? ready - e.queue.length - e.active : ready;
      if (n > 0) wants.set(id, n);
    }
    if (wants.size === 0) return;
    const { rows, nextDueMs } = await this.store.claimDue(wants, room);
    if (nextDueMs !== null) this.wakeWhenDue(Date.now() + nextDueMs);
    this.stats.claims++;
    this.stats.claimed += rows.length;
    const got = new Map<string, number>();
    for (const d of rows) {
      this.held.add(d);
      this.endpoints.push(d);
      got.set(d.endpointId, (got.get(d.endpointId) ?? 0) + 1);
    }
    // A claim cut short by `room` says nothing of what is left: every endpoint counts as having more.
    const full = rows.length === room;
    for (const [id, n] of wants) this.endpoints.state(id).more = full || (got.get(id) ?? 0) >= n;
    // A full claim means more is due: go again once these are under way.
    if (rows.length === room) this.again = true;
  }

  /**
   * Wakes the dispatcher at `at`, when a pending delivery of an endpoint it claimed for comes due (one timer,
   * for the earliest such time). The retry's own timer is in the worker that wrote its failure: one that has
   * stopped since (its timers with it), or given the endpoint up to a worker that joined, leaves its retries
   * to the endpoint's new owner, which knew nothing of them and sent them only on another wake-up (a new
   * event, the poll). Each pass that claims for an endpoint learns its next due time (the claim statement).
   */
  private wakeWhenDue(at: number): void {
    if (at >= this.dueAt) return;
    this.dueAt = at;
    this.wake.after(Math.max(0, at - Date.now()), () => {
      if (this.dueAt === at) this.dueAt = Number.POSITIVE_INFINITY;
      this.kick();
    });
  }

  /**
   * Forgets idle endpoints. An endpoint backing off gives its queued deliveries back while it rests, and is
   * claimed for again one probe at a time: held, the ready rounds it had claimed before it failed (up to
   * READY_PER_SLOT × its cap each) counted against every endpoint's claims, and a few failing endpoints
   * starved the healthy ones until their probes (seconds, up to a minute). Given back, an endpoint given up
   * to a worker that joined (ownership.ts) also moves at once, not one delivery per probe.
   */
  private tidy(now: number): void {
    this.endpoints.forgetIdle(now);
    this.backoff.prune((id) => this.endpoints.byId.has(id), now);
    for (const [id, s] of this.endpoints.byId) {
      if (s.queue.length === 0 || !this.backoff.resting(id, now)) continue;
      const dropped = this.endpoints.drop(id);
      void this.store
        .release(dropped)
        .catch(() => undefined) // not given back: the leases lapse
        .finally(() => {
          for (const d of dropped) this.held.delete(d);
          this.owned.releaseDrained();
          // The rest ended before they were given back (the pass came in its last moment, the release was
          // slow): the pass at its end found them still leased and claimed no probe, so claim it now.
          if (!this.backoff.resting(id, Date.now())) this.kick();
        });
    }
  }

  /** Deliveries of an endpoint queued, in flight, or with an outcome not yet written. */
  private inHand(endpointId: string): number {
    const e = this.endpoints.byId.get(endpointId);
    let n = e ? e.queue.length + e.active : 0;
    if (n === 0) for (const k of this.held.values()) if (k.endpointId === endpointId) n++;
    return n;
  }

  /**
   * Starts every queued delivery that has a free slot, per endpoint and in all, but none to an endpoint
   * backing off (a closed endpoint's are dropped at once), and wakes again for the next probe.
   */
  private pump(now = Date.now()): void {
    const taken = this.endpoints.take(
      this.config.concurrency - this.active,
      (id, s) =>
        this.closing.has(id) || (s.queue[0]!.endpoint.status === 'enabled' && this.backoff.resting(id, now)),
    );
    for (const { d, s } of taken) {
      this.active++;
      void this.deliver(d, s, this.backoff.probing(d.endpointId)).finally(() => {
        s.active--;
        this.active--;
        this.pump();
        // Refill before the ready ones run out.
        if (s.more && s.queue.length < this.endpoints.cap(s)) this.kick();
        this.owned.releaseDrained();
        this.settleIfIdle();
      });
    }
    // A resting endpoint's deliveries were given back (tidy): its probe time wakes a claim for the next one.
    this.backoff.schedule(
      () => true,
      now,
      () => this.kick(),
    );
  }

  /** One attempt; `probe`: the endpoint was backing off, and this is its probe. */
  private async deliver(d: Claimed, s: EndpointState, probe: boolean): Promise<void> {
    const attempt = d.attempts + 1;
    try {
      if (d.endpoint.status !== 'enabled') {
        await this.closeEndpoint(d.endpointId, closedReason(d.endpoint), [d]);
        return;
      }
      const { values, guarded } = await endpointSecrets(this.webhooks, d, s);
      const result = await this.sender.send(d, d.endpoint, values, guarded);
      this.stats.sent++;
      const base = {
        eventId: d.eventId,
        endpointId: d.endpointId,
        version: d.version,
        attempt,
        latencyMs: result.latencyMs,
      };
      s.failing = result.error !== null;
      if (s.failing) this.backoff.failed(d.endpointId, probe, Date.now());
      else this.backoff.forget(d.endpointId);
      if (result.error === null) {
        this.outcomes.success({
          ...base,
          statusCode: result.statusCode!,
          snippet: result.snippet,
          recovers: d.endpoint.failing_since !== null,
        });
      } else {
        const last = attempt >= this.config.retryScheduleMs.length + 1;
        this.outcomes.failure({
          ...base,
          statusCode: result.statusCode,
          snippet: result.snippet,
          error: result.error,
          last,
          retryMs: last ? 0 : retryDelayMs(this.config.retryScheduleMs, attempt),
        });
      }
    } catch (err) {
      // The outcome could not be written: the lease lapses and the delivery is sent again (at least once).
      this.log.error(
        { err, eventId: d.eventId, endpointId: d.endpointId },
        'webhook delivery bookkeeping failed',
      );
      this.held.delete(d);
    }
  }

  /**
   * A disabled or deleted endpoint: its whole backlog fails at once, unsent (`reason`: `endpoint <why>`), the
   * deliveries queued here and `taken` (started, but found closed before sending) with it. Whether or not that
   * write lands, the worker lets go of them: kept among those it holds, their leases were renewed and the
   * endpoint kept as this worker's for good; let go, a failed close is done again when their leases lapse and
   * a worker claims one of them. Enabled again since it was read closed (the store closes nothing then), they
   * are given back at once, to be claimed and sent as the endpoint's.
   */
  private async closeEndpoint(endpointId: string, reason: string, taken: Claimed[] = []): Promise<void> {
    const letGo = [...taken, ...this.endpoints.drop(endpointId)];
    this.backoff.forget(endpointId);
    // The endpoint's deliveries this worker is sending (or whose outcome is being written) are not backlog:
    // their answer decides them (a failure is final now that the endpoint is disabled). Closed as unsent, a
    // delivery the receiver got read as failed, its 200 written nowhere.
    const unsent = new Set(letGo.map((x) => x.eventId));
    const inFlight: string[] = [];
    for (const k of this.held.values())
      if (k.endpointId === endpointId && !unsent.has(k.eventId)) inFlight.push(k.eventId);
    let reopened = false;
    try {
      reopened = (await this.store.closeEndpoint(endpointId, reason, inFlight)) === null;
      if (reopened) await this.store.release(letGo);
    } finally {
      for (const x of letGo) this.held.delete(x);
    }
    if (reopened) this.kick();
  }

  /** The endpoint was disabled or deleted: no more waiting for a probe, and nothing queued for it is sent. */
  private closed(endpointId: string): void {
    this.backoff.forget(endpointId);
    this.track(this.closeQueued(endpointId));
  }

  /** Keeps a close under way for stop() to wait for. */
  private track(close: Promise<void>): void {
    this.closes.add(close);
    void close.finally(() => this.closes.delete(close));
  }

  /**
   * On a `closed:` NOTIFY (or this worker's own write disabling the endpoint): the deliveries of the endpoint
   * this worker has queued were claimed while it was enabled, and were sent as its slots freed up (until a
   * claim met the endpoint closed). If it is closed (the NOTIFY may be older than a re-enable), they fail
   * unsent with the rest of its backlog (closeEndpoint), those in flight left to their answer. A claim under
   * way may have read the endpoint before it closed: it is waited for, and what it queued is closed too (one
   * that starts after the NOTIFY reads it closed).
   */
  private async closeQueued(endpointId: string): Promise<void> {
    this.closing.set(endpointId, (this.closing.get(endpointId) ?? 0) + 1);
    try {
      await this.claiming;
      if (!this.endpoints.byId.get(endpointId)?.queue.length) return;
      const reason = await this.store.closedReason(endpointId);
      if (reason !== null) await this.closeEndpoint(endpointId, reason);
    } catch (err) {
      // The endpoint not read: its queued deliveries stay (the backlog is closed when a claim meets the
      // endpoint closed). The close not written: they were let go (closeEndpoint), their leases lapse.
      this.log.warn({ err: (err as Error).message, endpointId }, 'could not close a webhook endpoint');
    } finally {
      const n = this.closing.get(endpointId)! - 1;
      if (n > 0) this.closing.set(endpointId, n);
      else this.closing.delete(endpointId);
      this.owned.releaseDrained();
      this.pump();
    }
  }

  private settleIfIdle(): void {
    if (this.active > 0 || this.outcomes.pending) return;
    for (const w of this.idle.splice(0)) w();
  }

  /** Stops claiming, lets the deliveries in flight finish and be written, and gives back the queued ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.stopTimers();
    await this.claiming;
    await Promise.allSettled(this.closes);
    const unsent = this.endpoints.dropAll();
    this.outcomes.flush();
    if (this.active > 0 || this.outcomes.pending)
      await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.held.stop();
    await this.store.release(unsent).catch(() => undefined);
    await this.owned.leave().catch(() => undefined);
    await this.wake.close();
    await this.claimPool.end().catch(() => undefined);
  }
}
