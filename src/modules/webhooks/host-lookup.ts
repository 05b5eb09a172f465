import { promises as dns, lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFile } from 'node:fs/promises';
import {
  BoundedLookup,
  DEFAULT_LOOKUP_BOUNDS,
  type LookupBounds,
  type LookupOptions,
  lookupDeadline,
} from './bounded-lookup.js';

// How a webhook host's name becomes addresses. Merchants choose these names, and so the name servers that
// answer for them: one that drops queries must cost its own endpoints time and nothing else.
//
// Public names are asked of the name servers in /etc/resolv.conf with c-ares (dns.promises.Resolver:
// resolve4 and resolve6): its queries are sockets and timers on the event loop, hold no thread of libuv's pool,
// and give up by themselves (`timeout`, `tries`), so any number of them may hang without delaying another
// host's. getaddrinfo (dns.lookup, a thread each, no timeout) is kept for the names c-ares cannot answer:
// those in /etc/hosts, `localhost` and `*.localhost`, single labels (the resolver's search domains), and the
// special-use names no public name server answers for (`.invalid`, `.test`, `.local` (mDNS), `.internal`,
// `.home.arpa`): none of them leads to a name server a merchant runs. Those go through BoundedLookup (two
// threads, one per host, hosts in turn).
//
// A caller waits at most `timeoutMs` either way. A public name's query is not cancelled when its caller gives
// up: Resolver.cancel() would cancel every host's queries, and the query ends by itself within c-ares's own
// timeout (about 4 s: 2 tries), holding nothing but its socket's slot in the meantime.

type Lookup = typeof dnsLookup;

/** The name-server queries (a `dns.promises.Resolver`). */
export interface DnsQueries {
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
  cancel?(): void;
}

export interface HostLookupOptions {
  /** The name servers' resolver; by default c-ares with the system's configuration. */
  resolver?: DnsQueries;
  /** The hosts file whose names getaddrinfo answers. */
  hostsFile?: string;
}

/** Names under these are answered, if at all, by the local system (RFC 6761, 6762, 8375; ICANN's .internal). */
const LOCAL_ZONES = ['localhost', 'invalid', 'test', 'local', 'internal', 'home.arpa'];
/** How long a read of the hosts file is used before it is read again. */
const HOSTS_FILE_MS = 10_000;

/** A name only the local system can answer, whatever the hosts file says. */
export function isLocalName(host: string): boolean {
  if (!host.includes('.')) return true; // one label: the search domains apply (an absolute `name.` does not)
  const name = host.toLowerCase().replace(/\.$/, '');
  return LOCAL_ZONES.some((zone) => name === zone || name.endsWith(`.${zone}`));
}

/** The names in a hosts file (`address name alias…`, `#` comments). */
export function hostsFileNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    for (const name of fields.slice(1)) names.add(name.toLowerCase());
  }
  return names;
}

function ipVersionOf(options: LookupOptions): 0 | 4 | 6 {
  const f = options.family;
  return f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : 0;
}

export class HostLookup {
  private readonly threads: BoundedLookup;
  private readonly resolver: DnsQueries;
  private readonly ownResolver: boolean;
  private hosts: { names: Promise<Set<string>>; readAt: number } | null = null;

  constructor(
    lookup: Lookup = dnsLookup,
    private readonly bounds: LookupBounds = DEFAULT_LOOKUP_BOUNDS,
    private readonly options: HostLookupOptions = {},
  ) {
    this.threads = new BoundedLookup(lookup, bounds);
    this.ownResolver = !options.resolver;
    // c-ares gives up on a silent name server within its own tries (about 4 s here), before the caller's wait.
    this.resolver =
      options.resolver ??
      new dns.Resolver({ timeout: Math.max(100, Math.floor(bounds.timeoutMs / 5)), tries: 2 });
  }

  /** Every address of `host` (IPv4 first), or the lookup's error; a LookupTimeoutError past `timeoutMs`. */
  async all(host: string, options: LookupOptions = {}): Promise<LookupAddress[]> {
    if (isLocalName(host) || (await this.inHostsFile(host))) return this.threads.all(host, options);
    return lookupDeadline(host, this.bounds.timeoutMs).race(this.query(host, ipVersionOf(options)));
  }

  /** Ends the default resolver's pending queries (a shutting-down process need not wait for them). */
  close(): void {
    if (this.ownResolver) this.resolver.cancel?.();
  }

  private async query(host: string, ipVersion: 0 | 4 | 6): Promise<LookupAddress[]> {
    const none = Promise.resolve([] as string[]);
    const [v4, v6] = await Promise.allSettled([
      ipVersion === 6 ? none : this.resolver.resolve4(host),
      ipVersion === 4 ? none : this.resolver.resolve6(host),
    ]);
    const addresses: LookupAddress[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (addresses.length > 0) return addresses;
    // Neither family has an address: the more telling error (a timeout over "no records of this type").
    const errors = [v4, v6].flatMap((r) =>
      r.status === 'rejected' ? [r.reason as Error & { code?: string }] : [],
    );
    throw (
      errors.find((e) => e.code !== 'ENODATA') ??
      errors[0] ??
      Object.assign(new Error(`'${host}' has no address`), { code: 'ENODATA' })
    );
  }

  private inHostsFile(host: string): Promise<boolean> {
    const now = Date.now();
    if (!this.hosts || now - this.hosts.readAt > HOSTS_FILE_MS)
      this.hosts = {
        readAt: now,
        names: readFile(this.options.hostsFile ?? '/etc/hosts', 'utf8').then(hostsFileNames, () => new Set()),
      };
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.hosts.names.then((names) => names.has(name));
  }
}
