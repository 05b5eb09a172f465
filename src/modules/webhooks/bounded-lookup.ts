import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { AppError } from '../../lib/errors.js';

// getaddrinfo lookups of webhook hosts, bounded. dns.lookup runs getaddrinfo on libuv's thread pool (4 threads
// by default, shared with file reads and the rest), has no timeout, and a host behind a slow or silent DNS
// server holds a thread for as long as the resolver retries (tens of seconds). Only names that the DNS cannot
// answer come here (host-lookup.ts: /etc/hosts, localhost, single labels, special-use names); public names are
// asked of the name servers without a thread. Still, here at most `inFlight` lookups hold a thread at once (a
// lookup past its timeout still counts until getaddrinfo returns, since its thread is still busy), and one
// host at most one of them: callers asking for a host that is being looked up join that lookup, the other
// hosts wait their turn, served in turn (round robin), so a host that never answers costs one thread and
// its own callers' time, not other hosts' turns. A caller waits at most `timeoutMs` in all, queue included.
// Past MAX_WAITING waiting callers, one more fails at once with 503 service_unavailable.

type Lookup = typeof dnsLookup;

export interface LookupBounds {
  timeoutMs: number;
  inFlight: number;
}

/** What a lookup's answer depends on besides the host (net.connect asks for a family, and ADDRCONFIG). */
export interface LookupOptions {
  family?: number | 'IPv4' | 'IPv6';
  hints?: number;
}

const MAX_WAITING = 1_000;

export const DEFAULT_LOOKUP_BOUNDS: LookupBounds = { timeoutMs: 5_000, inFlight: 2 };

export class LookupTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
}

/** `race(p)`: p, or a LookupTimeoutError once `timeoutMs` have passed (`onTimeout` runs then). */
export function lookupDeadline(host: string, timeoutMs: number, onTimeout?: () => void) {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new LookupTimeoutError(`DNS lookup of '${host}' took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
  });
  return {
    race: <T>(promise: Promise<T>) => Promise.race([promise, expired]).finally(() => clearTimeout(timer)),
  };
}

interface Caller {
  settled: boolean;
  resolve(addresses: LookupAddress[]): void;
  reject(err: Error): void;
}

/** One getaddrinfo call, and the callers waiting for its answer. */
interface Flight {
  host: string;
  key: string;
  options: LookupOptions;
  callers: Caller[];
  started: boolean;
}

export class BoundedLookup {
  private busy = 0;
  /** Callers waiting for a flight that has no thread yet. */
  private waiting = 0;
  /** Flights holding a thread, by host (one at most per host). */
  private readonly running = new Map<string, Flight>();
  /** Flights waiting for a thread, by host, hosts in the order they are served (a served host goes last). */
  private readonly queued = new Map<string, Flight[]>();

  constructor(
    private readonly lookup: Lookup,
    private readonly bounds: LookupBounds,
  ) {}

  all(host: string, options: LookupOptions = {}): Promise<LookupAddress[]> {
    const key = `${options.family ?? 0}/${options.hints ?? 0}`;
    let flight = this.running.get(host);
    if (flight?.key !== key) flight = this.queued.get(host)?.find((f) => f.key === key);
    if (!flight && this.waiting >= MAX_WAITING)
      return Promise.reject(
        new AppError('service_unavailable', 'too many webhook host lookups waiting; retry in a few seconds'),
      );
    if (!flight) {
      flight = { host, key, options, callers: [], started: false };
      const flights = this.queued.get(host);
      if (flights) flights.push(flight);
      else this.queued.set(host, [flight]);
    }
    const f = flight;
    let caller!: Caller;
    const answer = new Promise<LookupAddress[]>((resolve, reject) => {
      caller = { settled: false, resolve, reject };
    });
    f.callers.push(caller);
    if (!f.started) this.waiting++;
    const result = lookupDeadline(host, this.bounds.timeoutMs, () => {
      caller.settled = true;
      if (!f.started) this.leaveQueue(f);
    }).race(answer);
    this.pump();
    return result;
  }

  /** A queued flight's caller gave up: the flight goes when nobody waits for it any more. */
  private leaveQueue(f: Flight): void {
    this.waiting--;
    if (f.callers.some((c) => !c.settled)) return;
    const flights = this.queued.get(f.host)!.filter((x) => x !== f);
    if (flights.length > 0) this.queued.set(f.host, flights);
    else this.queued.delete(f.host);
  }

  /** Gives free threads to the next hosts in turn whose host has no lookup under way. */
  private pump(): void {
    for (const [host, flights] of this.queued) {
      if (this.busy >= this.bounds.inFlight) return;
      if (this.running.has(host)) continue;
      const flight = flights.shift()!;
      // The host's next flight, if any, waits for its next turn, after every other waiting host's.
      this.queued.delete(host);
      if (flights.length > 0) this.queued.set(host, flights);
      this.start(flight);
    }
  }

  private start(f: Flight): void {
    this.busy++;
    this.running.set(f.host, f);
    f.started = true;
    this.waiting -= f.callers.filter((c) => !c.settled).length;
    this.lookup(f.host, { ...f.options, all: true } as never, (err, addresses: LookupAddress[]) => {
      this.busy--;
      this.running.delete(f.host);
      for (const c of f.callers) {
        if (c.settled) continue;
        c.settled = true;
        if (err) c.reject(err);
        else c.resolve(addresses);
      }
      this.pump();
    });
  }
}
