import type { Pool } from '../../../db/database.js';
import type { Logger } from '../../../lib/logger.js';
import { WEBHOOKS_CHANNEL } from '../service.js';

// Who dispatches each endpoint. One worker at a time owns an endpoint's dispatch (its order and its
// concurrency cap hold across workers, not per worker), under a lease in webhook_dispatch_owners that it
// renews while it works; a worker killed with SIGKILL stops renewing, and its endpoints lapse to the others
// after the lease. Workers beat a heartbeat in webhook_workers, and each takes at most its fair share of the
// endpoints with pending deliveries (busy endpoints ÷ live workers, rounded up); a worker over its share
// stops claiming for the excess and gives them up once nothing of them is in hand, so a worker that joins
// gets work.

const ACQUIRE = {
  name: 'webhook_acquire',
  // The busy endpoints by a loose index scan of webhook_deliveries_due_idx (one probe per endpoint, whatever
  // the backlog); those this worker holds; and free or lapsed ones taken up to its share. Two workers taking
  // one endpoint at once: the second's insert meets the first's row and, finding it live, leaves it alone.
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
           select o.endpoint_id as id from webhook_dispatch_owners o join busy b on b.id = o.endpoint_id
           where o.owner = $1 and o.until > now()),
         free as (
           select b.id from busy b left join webhook_dispatch_owners o on o.endpoint_id = b.id
           where o.endpoint_id is null or o.until <= now()
           order by o.until nulls first, b.id
           limit greatest(0, (select n from share) - (select count(*) from held))),
         taken as (
           insert into webhook_dispatch_owners (endpoint_id, owner, until)
           select id, $1, now() + make_interval(secs => $2) from free order by id
           on conflict (endpoint_id) do update set owner = excluded.owner, until = excluded.until
             where webhook_dispatch_owners.until <= now()
           returning endpoint_id)
         select (select n from share) as share,
           array(select id from held) || array(select endpoint_id from taken) as owned`,
};

const RENEW = {
  name: 'webhook_renew_ownership',
  // The heartbeat; the endpoints still worked on kept; any other this worker owns given up (and the other
  // workers woken to take them); heartbeats of workers gone for an hour forgotten.
  text: `with beat as (
           insert into webhook_workers (owner, seen_until) values ($1, now() + make_interval(secs => $2))
           on conflict (owner) do update set seen_until = excluded.seen_until returning 1),
         kept as (
           update webhook_dispatch_owners set until = now() + make_interval(secs => $2)
           where owner = $1 and endpoint_id = any($3::text[]) returning 1),
         dropped as (
           delete from webhook_dispatch_owners where owner = $1 and not (endpoint_id = any($3::text[]))
           returning endpoint_id),
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

  /** Gives up these endpoints now (nothing of them is in hand), waking the other workers. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `with r as (delete from webhook_dispatch_owners where owner = $1 and endpoint_id = any($2::text[])
                  returning 1)
       select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select 1 from r limit 1) x`,
      [this.owner, ids],
    );
  }

  /** This worker stops: every endpoint it owns goes back, and its heartbeat with it. */
  async leave(): Promise<void> {
    await this.pool.query(
      `with r as (delete from webhook_dispatch_owners where owner = $1 returning 1),
            w as (delete from webhook_workers where owner = $1 returning 1)
       select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select 1 from r limit 1) x`,
      [this.owner],
    );
  }
}

/**
 * A dispatcher's side of ownership: the endpoints it owns, and those it is giving up. Over its share (a
 * worker joined), it stops claiming for the excess endpoints, those with the least in hand first, and gives
 * each up once nothing of it is in hand (`inHand` is 0: nothing queued, in flight or with an outcome not yet
 * written). Its statements run one at a time, in order, so a renewal or a release never races an acquire
 * of the same worker; an endpoint being given up is not claimed for meanwhile.
 */
export class OwnedEndpoints {
  /** The busy endpoints this worker owned at its last acquire. */
  private owned = new Set<string>();
  /** Owned, over the share: no more claims; given up once nothing of them is in hand. */
  private readonly draining = new Set<string>();
  /** Being given up right now. */
  private readonly releasing = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ownership: EndpointOwnership,
    private readonly log: Logger,
    private readonly inHand: (endpointId: string) => number,
  ) {}

  /** Runs one ownership statement after the ones before it. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Takes this worker's share of the busy endpoints; returns those to claim deliveries for. */
  refresh(): Promise<string[]> {
    return this.run(async () => {
      const { owned, share } = await this.ownership.acquire();
      this.owned = new Set(owned);
      for (const id of this.draining) if (!this.owned.has(id)) this.draining.delete(id);
      const live = owned.filter((id) => !this.releasing.has(id));
      // As many draining as this worker is over its share: more when a worker joined, fewer (claimed for
      // again) when one left.
      const target = Math.max(0, live.length - share);
      if (this.draining.size > target)
        for (const id of [...this.draining].slice(0, this.draining.size - target)) this.draining.delete(id);
      else if (this.draining.size < target) {
        const byLoad = live
          .filter((id) => !this.draining.has(id))
          .sort((a, b) => this.inHand(a) - this.inHand(b));
        for (const id of byLoad.slice(0, target - this.draining.size)) this.draining.add(id);
      }
      this.releaseDrained();
      // After releaseDrained: what it is giving up now (releasing) is not claimed for either.
      return owned.filter((id) => !this.draining.has(id) && !this.releasing.has(id));
    });
  }

  /** Gives up the draining endpoints with nothing left in hand. */
  releaseDrained(): void {
    if (this.draining.size === 0) return;
    const done = [...this.draining].filter((id) => this.inHand(id) === 0);
    if (done.length === 0) return;
    for (const id of done) {
      this.draining.delete(id);
      this.releasing.add(id);
    }
    void this.run(() => this.ownership.release(done))
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'could not give up webhook endpoints'))
      .finally(() => {
        for (const id of done) {
          this.releasing.delete(id);
          this.owned.delete(id);
        }
      });
  }

  /** Heartbeat: keeps the owned endpoints and those still in hand (`busy()`), gives up the rest. */
  renew(busy: () => Iterable<string>): Promise<number> {
    return this.run(() => {
      const keep = new Set([...this.owned].filter((id) => !this.releasing.has(id)));
      for (const id of busy()) keep.add(id);
      return this.ownership.renew([...keep]);
    });
  }

  leave(): Promise<void> {
    return this.run(() => this.ownership.leave());
  }
}
