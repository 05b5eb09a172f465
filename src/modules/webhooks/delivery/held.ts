import type { Logger } from '../../../lib/logger.js';
import type { OwnedEndpoints } from './ownership.js';
import type { DeliveryStore } from './store.js';

// The deliveries one worker's dispatcher (dispatcher.ts) holds a lease on: queued, in flight, or written but
// not yet flushed. Every third of `leaseMs` (100 ms at the least) their leases are renewed, and so is the
// worker's ownership of the endpoints it still works on (ownership.ts, the heartbeat); the others go back at
// once. A worker killed with SIGKILL renews nothing: its leases lapse and another worker sends what it held.

type Key = `${string}__${string}`;
type DeliveryKey = { eventId: string; endpointId: string };
/** A delivery as claimed: `version` tells this claim from a later one of the same delivery (Claimed.version). */
type HeldDelivery = DeliveryKey & { version: string };
const keyOf = (d: DeliveryKey): Key => `${d.eventId}__${d.endpointId}`;

export class HeldDeliveries {
  private readonly held = new Map<Key, HeldDelivery>();
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly store: DeliveryStore,
    private readonly owned: OwnedEndpoints,
    /** The endpoints with deliveries queued or in flight. */
    private readonly busy: () => Iterable<string>,
    private readonly log: Logger,
  ) {}

  add(d: HeldDelivery): void {
    this.held.set(keyOf(d), { eventId: d.eventId, endpointId: d.endpointId, version: d.version });
  }

  /**
   * Lets go of a delivery, unless what is held now is a later claim of it: after a redelivery this worker may
   * claim a delivery again while the first send is still out, and that send's end must not stop the renewal
   * of the second claim's lease (it would lapse while queued, and the delivery go out a third time).
   */
  delete(d: HeldDelivery): void {
    const k = keyOf(d);
    const now = this.held.get(k);
    if (now && now.version !== d.version) return;
    this.held.delete(k);
  }

  values(): IterableIterator<HeldDelivery> {
    return this.held.values();
  }

  /** Renews the leases and the heartbeat until stop(). */
  start(leaseMs: number): void {
    this.renewTimer = setInterval(
      () => {
        this.renewing ??= this.renew().finally(() => {
          this.renewing = null;
        });
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  /** Stops renewing, once the renewal in progress (if any) has ended. */
  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.renewing;
  }

  private async renew(): Promise<void> {
    try {
      await this.store.renew([...this.held.values()]);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not renew webhook leases');
    }
    try {
      // The heartbeat; endpoints still worked on stay owned; the rest (idle now) go back at once.
      await this.owned.renew(() => {
        const busy = new Set(this.busy());
        for (const k of this.held.values()) busy.add(k.endpointId);
        return busy;
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not renew webhook endpoint ownership');
    }
  }
}
