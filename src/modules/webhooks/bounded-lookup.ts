import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { AppError } from '../../lib/errors.js';

// DNS lookups of merchants' webhook hosts, bounded. dns.lookup runs getaddrinfo on libuv's thread pool (4
// threads by default, shared with file reads and the rest), has no timeout, and a host behind a slow or silent
// DNS server holds a thread for as long as the resolver retries (tens of seconds). Merchants choose these
// hosts: without a bound, a few endpoints whose names never answer could occupy the whole pool of an API
// process (saving endpoints) or a worker (delivering). Here at most `inFlight` lookups hold a thread at once
// (a lookup past its timeout still counts until getaddrinfo returns, since its thread is still busy), the rest
// wait their turn, and a caller waits at most `timeoutMs` in all, queue included. Past MAX_WAITING waiting
// callers, one more fails at once with 503 service_unavailable.

type Lookup = typeof dnsLookup;

export interface LookupBounds {
  timeoutMs: number;
  inFlight: number;
}

const MAX_WAITING = 1_000;

export const DEFAULT_LOOKUP_BOUNDS: LookupBounds = { timeoutMs: 5_000, inFlight: 2 };

export class LookupTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
}

export class BoundedLookup {
  private busy = 0;
  /** Lookups waiting for a thread, oldest first; one whose caller gave up is skipped. */
  private readonly waiting: { run: () => void; gaveUp: () => boolean }[] = [];

  constructor(
    private readonly lookup: Lookup,
    private readonly bounds: LookupBounds,
  ) {}

  all(host: string, options: object = {}): Promise<LookupAddress[]> {
    if (this.waiting.length >= MAX_WAITING)
      return Promise.reject(
        new AppError('service_unavailable', 'too many webhook host lookups waiting; retry in a few seconds'),
      );
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          new LookupTimeoutError(`DNS lookup of '${host}' took longer than ${this.bounds.timeoutMs} ms`),
        );
      }, this.bounds.timeoutMs);
      timer.unref();
      const run = () => {
        this.busy++;
        this.lookup(host, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
          this.busy--;
          this.next();
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          if (err) reject(err);
          else resolve(addresses);
        });
      };
      if (this.busy < this.bounds.inFlight) run();
      else this.waiting.push({ run, gaveUp: () => settled });
    });
  }

  private next(): void {
    while (this.busy < this.bounds.inFlight && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      if (!w.gaveUp()) w.run();
    }
  }
}
