import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../../lib/errors.js';

// Live-mode webhooks must not reach our own network: a URL whose host is (or resolves to) a loopback,
// private, link-local or otherwise non-public address is refused, at creation and again at delivery
// (DNS can change in between).

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
  return url;
}

function isPublic(address: string): boolean {
  const a = ipaddr.process(address);
  return a.range() === 'unicast';
}

/** Throws when the URL's host is or resolves to a non-public address. */
export async function assertPublicTarget(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((r) => r.address);
    } catch {
      throw new ValidationError(`url host '${host}' does not resolve`, 'url');
    }
  }
  const blocked = addresses.find((a) => !isPublic(a));
  if (blocked) {
    throw new ValidationError(
      `url resolves to a non-public address (${blocked}); live-mode webhooks must be public`,
      'url',
    );
  }
}
