import ipaddr from 'ipaddr.js';
import { ValidationError } from '../../lib/errors.js';
import type { Mode } from './entities.js';

// API keys' shapes and the parsing of their options (MerchantsService creates, resolves and caches them).

export const KEY_SCOPES = ['withdrawals:approve'] as const;

export interface CreatedKey {
  keyId: string;
  merchantId: string;
  mode: Mode;
  apiKey: string;
  /** Shown once; only its AES-256-GCM ciphertext is stored. */
  apiSecret: string;
}

/** What the edge needs to authenticate a request, with the secret decrypted. Cached briefly. */
export interface ResolvedKey {
  keyId: string;
  merchantId: string;
  mode: Mode;
  secret: string;
  ipAllowlist: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  rateLimitPerSecond: number;
  scopes: string[];
  requireTimestamp: boolean;
  /** 2: every request must carry a version-2 signature (src/http/signature.ts). */
  signatureVersion: 1 | 2;
  /** Only trusted documents over GraphQL, for this key and the browser tokens it mints. */
  trustedDocumentsOnly: boolean;
}

export interface KeyOptions {
  ipAllowlist?: string[];
  rateLimitPerSecond?: number;
  scopes?: string[];
  requireTimestamp?: boolean;
  signatureVersion?: number;
  trustedDocumentsOnly?: boolean;
}

export function parseSignatureVersion(v: number | undefined): 1 | 2 {
  if (v === undefined || v === 1 || v === 2) return v ?? 1;
  throw new ValidationError('signature version must be 1 or 2', 'signatureVersion');
}

export function parseCidrs(cidrs: string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return cidrs.map((c) => {
    try {
      if (c.includes('/')) return ipaddr.parseCIDR(c);
      const addr = ipaddr.parse(c);
      return [addr, addr.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw new ValidationError(`'${c}' is not an IPv4 or IPv6 address or CIDR`, 'ip');
    }
  });
}
