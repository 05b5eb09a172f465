import type { Pool } from '../../../db/database.js';
import type { Logger } from '../../../lib/logger.js';
import { WEBHOOKS_CHANNEL } from '../service.js';

// Who dispatches each endpoint. One worker at a time owns an endpoint's dispatch (its order and its
// concurrency cap hold across workers, not per worker), under a lease it renews while it works; a worker
// killed with SIGKILL stops renewing, and its endpoints lapse to the others after the lease. Workers beat
// a heartbeat in webhook_workers, and each takes at most its fair share of the endpoints with pending
// deliveries (busy endpoints ÷ live workers, rounded up); a worker over its share stops claiming for the
// excess and gives them up once their deliveries in hand are written, so a worker that joins gets work.

const ACQUIRE = {
  name: 'webhook_acquire',
  // The busy endpoints by a loose index scan of webhook_deliveries_due_idx (one probe per endpoint, whatever
  // the backlog); those this worker holds; and free or lapsed ones taken up to its share. Two workers taking
  // at once pass each other: one skips the endpoints the other is taking (skip locked), and an endpoint
  // taken since this statement began is found owned by the update's recheck and left alone.
  text: `with recursive eps(endpoint_id) as (
           (select endpoint_id from webhook_deliveries where status = 'pending' order by endpoint_id limit 1)
           union all
           select (select d.endpoint_id from webhook_deliveries d
                   where d.status = 'pending' and d.endpoint_id > eps.endpoint_id order by d.endpoint_id limit 1)
           from eps where eps.endpoint_id is not null),
         busy as (select endpoint_id as id from eps where endpoint_id is not null),
         share as (
           select ceil((select count(*) from busy)::numeric
             / greatest(1, (select count(*) from webhook_workers where seen_until > now())))::int as n),
         held as (
           select w.id from webhook_endpoints w join busy using (id)
           where w.dispatch_owner = $1 and w.dispatch_until > now()),
         free as (
           select w.id from webhook_endpoints w join busy using (id)
           where w.dispatch_owner is null or w.dispatch_until <= now()
           order by w.dispatch_until nulls first, w.id
           limit greatest(0, (select n from share) - (select count(*) from held))
           for update of w skip locked),
         taken as (
           update webhook_endpoints w set dispatch_owner = $1, dispatch_until = now() + make_interval(secs => $2)
           from free f where w.id = f.id and (w.dispatch_owner is null or w.dispatch_until <= now())
           returning w.id)
         select (select n from share) as share, array(select id from held) || array(select id from taken) as owned`,
};

const RENEW = {
  name: 'webhook_renew_ownership',
  // The heartbeat; the endpoints still worked on kept; any other this worker owns given up (and the other
  // workers woken to take them); heartbeats of workers gone for an hour forgotten.
  text: `with beat as (
           insert into webhook_workers (owner, seen_until) values ($1, now() + make_interval(secs => $2))
           on conflict (owner) do update set seen_until = excluded.seen_until returning 1),
         kept as (
           update webhook_endpoints set dispatch_until = now() + make_interval(secs => $2)
           where dispatch_owner = $1 and id = any($3::text[]) returning 1),
         dropped as (
           update webhook_endpoints set dispatch_owner = null, dispatch_until = null
           where dispatch_owner = $1 and not (id = any($3::text[])) returning id),
         gone as (delete from webhook_workers where seen_until < now() - interval '1 hour' returning 1),
         woke as (select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select 1 from dropped limit 1) x)
         select (select count(*) from dropped)::int as dropped, (select count(*) from woke)::int as woke`,
};

export class EndpointOwnership {
  constructor(
    private readonly pool: Pool,
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** The busy endpoints this worker owns now (taking free ones up to its share), and that share. */
  async acquire(): Promise<{ owned: string[]; share: number }> {
    const r = await this.pool.query<{ owned: string[]; share: number }>({
      ...ACQUIRE,
      values: [this.owner, this.leaseMs / 1000],
    });
    return { owned: r.rows[0]!.owned, share: r.rows[0]!.share };
  }

  /** Heartbeat; renews the endpoints in `keep` and gives up every other this worker owns. */
  async renew(keep: string[]): Promise<number> {
    const r = await this.pool.query<{ dropped: number }>({
      ...RENEW,
      values: [this.owner, this.leaseMs / 1000, keep],
    });
    return r.rows[0]!.dropped;
  }

  /** Gives up these endpoints now (their deliveries in hand are written), waking the other workers. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `with r as (update webhook_endpoints set dispatch_owner = null, dispatch_until = null
                  where dispatch_owner = $1 and id = any($2::text[]) returning 1)
       select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select 1 from r limit 1) x`,
      [this.owner, ids],
    );
  }

  /** This worker stops: every endpoint it owns goes back, and its heartbeat with it. */
  async leave(): Promise<void> {
    await this.pool.query(
      `with r as (update webhook_endpoints set dispatch_owner = null, dispatch_until = null
                  where dispatch_owner = $1 returning 1),
            w as (delete from webhook_workers where owner = $1 returning 1)
       select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select 1 from r limit 1) x`,
      [this.owner],
    );
  }
}

/**
 * A dispatcher's side of ownership: the endpoints it owns, and those it is giving up. Over its share (a
 * worker joined), it stops claiming for the excess endpoints, those with the least in hand first, and gives
 * each up once nothing of it is in hand (`inHand` is 0 and no outcome is unwritten).
 */
export class OwnedEndpoints {
  /** The busy endpoints this worker owned at its last claim. */
  private owned = new Set<string>();
  private readonly draining = new Set<string>();

  constructor(
    private readonly ownership: EndpointOwnership,
    private readonly log: Logger,
    /** Deliveries of an endpoint queued, in flight, or with an outcome not yet written. */
    private readonly inHand: (endpointId: string) => number,
  ) {}

  /** Takes this worker's share of the busy endpoints; returns those to claim deliveries for. */
  async refresh(): Promise<string[]> {
    const { owned, share } = await this.ownership.acquire();
    this.owned = new Set(owned);
    for (const id of this.draining) if (!this.owned.has(id)) this.draining.delete(id);
    const claimable = owned.filter((id) => !this.draining.has(id));
    const excess = claimable.length - share;
    if (excess <= 0) return claimable;
    const byLoad = [...claimable].sort((a, b) => this.inHand(a) - this.inHand(b));
    for (const id of byLoad.slice(0, excess)) this.draining.add(id);
    this.releaseDrained();
    return claimable.filter((id) => !this.draining.has(id));
  }

  /** Gives up the draining endpoints with nothing left in hand. */
  releaseDrained(): void {
    if (this.draining.size === 0) return;
    const done = [...this.draining].filter((id) => this.inHand(id) === 0);
    if (done.length === 0) return;
    for (const id of done) {
      this.draining.delete(id);
      this.owned.delete(id);
    }
    this.ownership
      .release(done)
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'could not give up webhook endpoints'));
  }

  /** Heartbeat: keeps the owned endpoints and those still in hand (`busy`), gives up the rest. */
  async renew(busy: Iterable<string>): Promise<void> {
    const keep = new Set(this.owned);
    for (const id of busy) keep.add(id);
    await this.ownership.renew([...keep]);
  }

  leave(): Promise<void> {
    return this.ownership.leave();
  }
}
