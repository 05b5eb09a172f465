import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, type Dispatcher } from 'undici';
import { AppError, ValidationError } from '../../lib/errors.js';
import { DEFAULT_LOOKUP_BOUNDS, type LookupBounds, type LookupOptions } from './bounded-lookup.js';
import { HostLookup, type HostLookupOptions } from './host-lookup.js';

// Webhooks must not become a way into our own network (SSRF): an endpoint whose host is or resolves to a
// loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT or otherwise reserved
// address is refused, unless the operator lists that network in WEBHOOK_ALLOWED_PRIVATE_CIDRS. In production
// this holds for every endpoint of either mode. Outside production a test-mode endpoint, and a live one where
// WEBHOOK_ALLOW_PRIVATE_URLS or the merchant's allowPrivateWebhookUrls says so, may target anything (tests and
// local development post to 127.0.0.1).
//
// The check runs when an endpoint is saved and again inside each delivery's connection: the socket connects
// to the address that the check passed (the lookup below is the connection's own DNS lookup), so a name that
// answers differently on the second lookup (DNS rebinding) cannot slip through. Refusals never name the
// address the host resolved to.

type Lookup = typeof dnsLookup;

/**
 * IPv6's global unicast space, the only one public hosts are in. ipaddr.js calls every address outside its
 * special ranges unicast, including ::/96 (deprecated IPv4-compatible addresses: [::127.0.0.1] is ::7f00:1,
 * which a host with automatic tunnelling (sit0) sends to 127.0.0.1) and the rest of unassigned space.
 */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

export const TARGET_REFUSED = 'ERR_WEBHOOK_TARGET_REFUSED';
const REFUSED_MESSAGE =
  'the URL resolves to a private, loopback, link-local or reserved address, which webhooks may not reach';

export function parseWebhookUrl(raw: unknown): URL {
  if (typeof raw !== 'string' || raw.length > 2048)
    throw new ValidationError('url must be a string of at most 2048 characters', 'url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError('url is not a valid URL', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ValidationError('url must be http or https', 'url');
  if (url.username || url.password) throw new ValidationError('url must not contain credentials', 'url');
  // What is stored is the normalised URL, which percent-encoding can make several times longer (é is %C3%A9).
  if (url.href.length > 2048)
    throw new ValidationError('url is longer than 2048 characters once percent-encoded', 'url');
  return url;
}

function refused(): Error {
  return Object.assign(new Error(REFUSED_MESSAGE), { code: TARGET_REFUSED });
}

export interface TargetPolicyConfig {
  isProduction: boolean;
  webhookAllowPrivateUrls: boolean;
  webhookAllowedPrivateCidrs: string[];
}

export class WebhookTargets {
  private readonly cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private readonly guardedAgent: Agent;
  private readonly openAgent = new Agent();
  private readonly lookup: HostLookup;

  /**
   * `lookup`: getaddrinfo, for the names only the local system answers; `dns.resolver`: the name servers'
   * queries for the others (host-lookup.ts).
   */
  constructor(
    private readonly config: TargetPolicyConfig,
    lookup: Lookup = dnsLookup,
    bounds: LookupBounds = DEFAULT_LOOKUP_BOUNDS,
    dns: HostLookupOptions = {},
  ) {
    this.lookup = new HostLookup(lookup, bounds, dns);
    this.cidrs = config.webhookAllowedPrivateCidrs.map((c) => {
      if (c.includes('/')) return ipaddr.parseCIDR(c);
      const a = ipaddr.parse(c);
      return [a, a.kind() === 'ipv4' ? 32 : 128];
    });
    this.guardedAgent = new Agent({ connect: { lookup: this.checkedLookup() as never } });
  }

  /** Whether endpoints of this mode must be checked; `merchantAllows`: the merchant's own setting. */
  guards(mode: 'live' | 'test', merchantAllows: () => Promise<boolean>): Promise<boolean> {
    if (this.config.isProduction) return Promise.resolve(true);
    if (mode === 'test' || this.config.webhookAllowPrivateUrls) return Promise.resolve(false);
    return merchantAllows().then((allows) => !allows);
  }

  /** Public unicast, or inside an operator-allowed network. */
  allows(address: string): boolean {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(address);
    } catch {
      return false;
    }
    if (a.range() === 'unicast' && (a.kind() === 'ipv4' || a.match(GLOBAL_UNICAST_V6))) return true;
    return this.inAllowedNetwork(address);
  }

  /** Inside a network the operator listed (WEBHOOK_ALLOWED_PRIVATE_CIDRS). */
  private inAllowedNetwork(address: string): boolean {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(address);
    } catch {
      return false;
    }
    return this.cidrs.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
  }

  /**
   * Throws invalid_request (param url) when the URL's host is or resolves to an address webhooks may not reach,
   * or, for a live-mode endpoint in production, when a plain `http` URL would carry live payment data over the
   * internet unencrypted (allowed only inside a network the operator listed).
   */
  async assertAllowed(url: URL, mode: 'live' | 'test' = 'test'): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolve(host);
    } catch (err) {
      if (err instanceof AppError) throw err; // every lookup slot busy: 503, retry
      throw new ValidationError(`url host '${host}' does not resolve`, 'url');
    }
    if (!addresses.every((a) => this.allows(a))) throw new ValidationError(`url: ${REFUSED_MESSAGE}`, 'url');
    if (
      this.config.isProduction &&
      mode === 'live' &&
      url.protocol !== 'https:' &&
      !addresses.every((a) => this.inAllowedNetwork(a))
    )
      throw new ValidationError(
        'url must be https for a live-mode endpoint: live deliveries carry payment data (plain http only inside WEBHOOK_ALLOWED_PRIVATE_CIDRS)',
        'url',
      );
  }

  /**
   * POSTs a delivery through undici's low-level API (Dispatcher.dispatch), on a keep-alive connection pool per
   * origin: the answer comes to `handler` as it arrives, with no body stream or AbortSignal in between;
   * `handler` aborts it through its controller. What the delivery worker sends with (delivery/sender.ts).
   * `guarded`: the connection may reach only allowed addresses (a refused IP literal throws here, a host name
   * whose answer is refused fails the connection). Redirects are not followed.
   */
  dispatch(
    url: URL,
    init: { body: string; headers: Record<string, string> },
    guarded: boolean,
    handler: Dispatcher.DispatchHandler,
  ): void {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (guarded && isIP(host) && !this.allows(host)) throw refused();
    (guarded ? this.guardedAgent : this.openAgent).dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: init.headers,
        body: init.body,
      },
      handler,
    );
  }

  async close(): Promise<void> {
    this.lookup.close();
    await Promise.all([this.guardedAgent.close(), this.openAgent.close()]);
  }

  private async resolve(host: string): Promise<string[]> {
    return (await this.lookup.all(host)).map((a) => a.address);
  }

  /** A dns.lookup for net.connect that answers only with addresses that pass, or fails the connection. */
  private checkedLookup() {
    return (
      hostname: string,
      options: LookupOptions & { all?: boolean },
      callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      this.lookup.all(hostname, options).then(
        (addresses) => {
          if (addresses.length === 0 || !addresses.every((a) => this.allows(a.address)))
            return callback(refused(), []);
          if (options.all) return callback(null, addresses);
          return callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (err: Error) => callback(err, []),
      );
    };
  }
}
