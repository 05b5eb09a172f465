import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.js';

// The client address behind proxies, one rule for every door: Fastify gets this function as its trustProxy
// (so req.ip follows it), and a WebSocket upgrade request, which Fastify never sees, is read with the same
// function through the same library Fastify uses (@fastify/proxy-addr). X-Forwarded-For is read from the
// right: each hop is believed only while the address that sent it is a trusted proxy, so a client cannot
// choose its address by writing the header itself.

export type TrustProxyFn = (address: string, hop: number) => boolean;

export function trustProxyFn(trust: Config['trustProxy']): TrustProxyFn {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/** The address of the client that sent an HTTP request Fastify did not route (a WebSocket upgrade). */
export function upgradeClientAddress(req: IncomingMessage, trust: TrustProxyFn): string {
  return proxyAddr(req, trust);
}

/** A parsed address (an IPv4-mapped IPv6 address turned back into IPv4), or null when unparsable. */
export function parseAddress(address: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return address ? ipaddr.process(address) : null;
  } catch {
    return null;
  }
}

/**
 * What a per-address rate budget counts (auth.ts rateBucket): an IPv4 address (an IPv4-mapped IPv6 one as its
 * IPv4 address), or an IPv6 address's /64 as its network address. A /64 is what one IPv6 customer is given
 * (often a /56): with a budget per address, a client that sends from each of its addresses in turn had 2^64
 * budgets. Unparsable: the text as it is.
 */
export function budgetAddress(address: string): string {
  const a = parseAddress(address);
  if (!a) return address;
  if (a.kind() === 'ipv4') return a.toString();
  const parts = (a as ipaddr.IPv6).parts;
  return new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]).toString();
}
