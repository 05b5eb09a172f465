// Every message a WebSocket sends (connection_init, subscribe, complete, ping, pong, and whatever does not
// parse) spends one unit of the socket's own budget, a token bucket: WS_MESSAGE_BURST units, refilled at
// WS_MESSAGES_PER_SECOND. A socket that has spent it is closed (ws-socket-lifecycle.ts: 4429
// `too_many_messages`). It bounds the work one socket can make whatever its credential: a stream token is
// shared by many viewers, so its rate limit (per client address, auth.ts rateBucket) cannot single out one
// socket, and refused operations (rate_limited, too_many_subscriptions, forbidden) hold no place under the
// operation caps. The defaults are far above what a graphql-ws client sends: one connection_init, one
// subscribe and at most one complete per operation (a full re-subscribe after a reconnect is
// WS_MAX_SUBSCRIPTIONS_PER_SOCKET subscribes at once), and a ping every few seconds if it keeps alive.

/** A token bucket over a monotonic clock in milliseconds. */
export class MessageBudget {
  private units: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.units = burst;
    this.last = now();
  }

  /** Spends one unit: false when there is none left (the message is over budget). */
  spend(): boolean {
    const t = this.now();
    this.units = Math.min(this.burst, this.units + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.units < 1) return false;
    this.units -= 1;
    return true;
  }
}
