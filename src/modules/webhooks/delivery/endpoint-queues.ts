import type { WebhooksService } from '../service.js';
import type { SigningSecrets } from '../signing.js';
import type { Claimed } from './store.js';

// The dispatcher's deliveries claimed and ready, per endpoint (dispatcher.ts): each endpoint's queue, its
// slots (its cap, one while it is failing), and whose turn it is when slots are short.

/** Deliveries kept claimed per slot: enough that a slow claim never leaves a slot idle. */
export const READY_PER_SLOT = 8;
/** How long cached endpoint secrets and the target policy are trusted before being looked at again. */
export const ENDPOINT_CACHE_MS = 30_000;

export interface EndpointState {
  queue: Claimed[];
  active: number;
  /** Its last attempt failed (or it was failing when claimed): one slot until it answers again. */
  failing: boolean;
  /**
   * Its last claim got all it asked for, so more may be due: refill when its ready ones run low. Otherwise
   * what comes next wakes the dispatcher itself (the relay's NOTIFY, a retry's timer, the poll), and a
   * finished delivery costs no claim.
   */
  more: boolean;
  secrets?: { updatedAt: number; at: number; values: SigningSecrets; guarded: boolean };
}

export class EndpointQueues {
  readonly byId = new Map<string, EndpointState>();
  /** Deliveries queued (claimed, not yet started) over all endpoints. */
  queued = 0;
  /**
   * Where the next pick starts among the endpoints: just after the last one served. (A start that merely moved
   * one place per call gave a busy endpoint every turn that started on the idle ones before it in the map.)
   */
  private turn = 0;

  constructor(
    private readonly perEndpoint: number,
    private readonly concurrency: number,
  ) {}

  /**
   * Deliveries an endpoint may have in flight at once: the configured cap, or one while it is failing (a
   * receiver that times out or errors holds one slot, not its whole share, until it answers again).
   */
  cap(s: EndpointState): number {
    return s.failing ? 1 : this.perEndpoint;
  }

  /** How many deliveries to keep claimed and ready for an endpoint: a few rounds of its slots. */
  ready(s?: EndpointState): number {
    const cap = s ? this.cap(s) : this.perEndpoint;
    return Math.min(READY_PER_SLOT * cap, 2 * this.concurrency);
  }

  state(endpointId: string): EndpointState {
    let s = this.byId.get(endpointId);
    if (!s) {
      s = { queue: [], active: 0, failing: false, more: false };
      this.byId.set(endpointId, s);
    }
    return s;
  }

  push(d: Claimed): EndpointState {
    const s = this.state(d.endpointId);
    s.failing = d.endpoint.failing_since !== null;
    s.queue.push(d);
    this.queued++;
    return s;
  }

  /** Forgets idle endpoints whose cached secrets are stale, so the map stays as small as the busy set. */
  forgetIdle(now: number): void {
    for (const [id, e] of this.byId)
      if (e.queue.length + e.active === 0 && (!e.secrets || now - e.secrets.at > ENDPOINT_CACHE_MS))
        this.byId.delete(id);
  }

  /**
   * Takes up to `slots` deliveries to start, one per endpoint with a free slot per turn, starting from a
   * different endpoint each time: when slots are fewer than the busy endpoints' caps none waits behind
   * another's backlog. Each taken delivery counts as active. An endpoint `resting` says is waiting (a failing
   * one backing off, backoff.ts) is passed over.
   */
  take(
    slots: number,
    resting: (endpointId: string, s: EndpointState) => boolean = () => false,
  ): { d: Claimed; s: EndpointState }[] {
    const taken: { d: Claimed; s: EndpointState }[] = [];
    if (this.queued === 0 || slots <= 0) return taken;
    const list = [...this.byId.values()];
    let progress = true;
    while (progress && taken.length < slots) {
      progress = false;
      const start = this.turn % list.length;
      for (let i = 0; i < list.length && taken.length < slots; i++) {
        const at = (start + i) % list.length;
        const s = list[at]!;
        if (s.queue.length === 0 || s.active >= this.cap(s) || resting(s.queue[0]!.endpointId, s)) continue;
        s.active++;
        this.queued--;
        taken.push({ d: s.queue.shift()!, s });
        this.turn = at + 1;
        progress = true;
      }
    }
    return taken;
  }

  /** Empties an endpoint's queue (its endpoint was closed), returning what it held. */
  drop(endpointId: string): Claimed[] {
    const s = this.byId.get(endpointId);
    const dropped = s ? s.queue.splice(0) : [];
    this.queued -= dropped.length;
    return dropped;
  }

  /** Empties every queue (on stop), returning what they held. */
  dropAll(): Claimed[] {
    const all = [...this.byId.values()].flatMap((s) => s.queue.splice(0));
    this.queued = 0;
    return all;
  }

  /** Endpoints with deliveries queued or in flight. */
  busy(): string[] {
    return [...this.byId].flatMap(([id, e]) => (e.queue.length + e.active > 0 ? [id] : []));
  }
}

/** The endpoint's secrets (decrypted once) and whether its connections must pass the target check. */
export async function endpointSecrets(webhooks: WebhooksService, d: Claimed, s: EndpointState) {
  const updatedAt = d.endpoint.updated_at.getTime();
  const cached = s.secrets;
  if (cached && cached.updatedAt === updatedAt && Date.now() - cached.at < ENDPOINT_CACHE_MS) return cached;
  const values = await webhooks.signingSecrets(d.endpoint);
  const guarded = await webhooks.guarded({ merchantId: d.endpoint.merchant_id, mode: d.endpoint.mode });
  s.secrets = { updatedAt, at: Date.now(), values, guarded };
  return s.secrets;
}
