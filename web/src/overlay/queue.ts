// The alert queue: every donation is shown once, one at a time, in the order it arrived. A burst waits its
// turn (nothing overlaps, nothing is dropped); a donation delivered twice (subscriptions are at least once,
// and a reconnect may repeat one) is shown once.

export interface Alert {
  id: string;
  donor: string;
  amount: string;
  message: string | null;
}

export type Phase = 'enter' | 'show' | 'leave';

const SEEN_LIMIT = 5000;

export class AlertQueue {
  private readonly waiting: Alert[] = [];
  private readonly seen = new Set<string>();
  private busy = false;

  constructor(
    private readonly holdMs: number,
    private readonly animMs: number,
    private readonly show: (a: Alert | null, phase: Phase) => void,
    private readonly onShown: (a: Alert) => void = () => undefined,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  push(a: Alert): void {
    if (this.seen.has(a.id)) return;
    this.seen.add(a.id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.waiting.push(a);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
        this.show(next, 'enter');
        this.onShown(next);
        await sleep(this.animMs);
        this.show(next, 'show');
        await sleep(this.holdMs);
        this.show(next, 'leave');
        await sleep(this.animMs);
        this.show(null, 'leave');
      }
    } finally {
      this.busy = false;
    }
  }
}

function sleep(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms));
}
