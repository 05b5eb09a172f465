import type { EntityManager } from '@mikro-orm/postgresql';
import ipaddr from 'ipaddr.js';
import { decrypt, encrypt, randomHex, sha256 } from '../../lib/crypto.js';
import { ValidationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { ApiKey, Merchant, type Mode } from './entities.js';
import { resolveSettings } from './settings.js';

// API keys' shapes, the parsing of their options, a new key's row and a stored key's resolution
// (MerchantsService creates, resolves and caches them).

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

/** The additional data the key's secret is sealed with: its ciphertext opens only as this key's. */
export function secretAad(keyId: string): string {
  return `api_key:${keyId}`;
}

/** A new key, its options checked, persisted in `em` (written by the caller's flush); its secret shown once. */
export function addKeyEntity(
  em: EntityManager,
  masterKey: Buffer,
  merchantId: string,
  mode: Mode,
  opts: KeyOptions & { rateLimitPerSecond: number },
): CreatedKey {
  const ipAllowlist = opts.ipAllowlist ?? [];
  parseCidrs(ipAllowlist);
  const rate = opts.rateLimitPerSecond;
  if (!Number.isInteger(rate) || rate < 1 || rate > 1_000_000) {
    throw new ValidationError('rate limit must be an integer from 1 to 1000000 per second', 'rateLimit');
  }
  const scopes = opts.scopes ?? [];
  for (const s of scopes) {
    if (!(KEY_SCOPES as readonly string[]).includes(s))
      throw new ValidationError(`unknown scope '${s}'`, 'scopes');
  }
  const signatureVersion = parseSignatureVersion(opts.signatureVersion);
  const keyId = newId('key');
  const apiKey = `sk_${mode}_${randomHex(16)}`;
  const apiSecret = randomHex(32);
  em.create(ApiKey, {
    id: keyId,
    merchantId,
    mode,
    keyHash: sha256(apiKey),
    keyPrefix: apiKey.slice(0, 12),
    secretCiphertext: encrypt(masterKey, apiSecret, secretAad(keyId)),
    ipAllowlist,
    rateLimitPerSecond: rate,
    scopes,
    requireTimestamp: opts.requireTimestamp ?? false,
    signatureVersion,
    trustedDocumentsOnly: opts.trustedDocumentsOnly ?? false,
    createdAt: new Date(),
    revokedAt: null,
  });
  return { keyId, merchantId, mode, apiKey, apiSecret };
}

/** A stored key by the sha256 of the key, ready to authenticate with; null when unknown or revoked. */
export async function resolveKeyRow(
  em: EntityManager,
  masterKey: Buffer,
  hash: Buffer,
): Promise<ResolvedKey | null> {
  const row = await em.findOne(ApiKey, { keyHash: hash });
  if (!row || row.revokedAt) return null;
  // A timestamp is required when the key says so or the merchant does (its settings, docs/api.md).
  const requireTimestamp =
    row.requireTimestamp ||
    resolveSettings((await em.findOne(Merchant, { id: row.merchantId }))?.settings).requireTimestamp;
  return {
    keyId: row.id,
    merchantId: row.merchantId,
    mode: row.mode,
    secret: decrypt(masterKey, row.secretCiphertext, secretAad(row.id)),
    ipAllowlist: parseCidrs(row.ipAllowlist),
    rateLimitPerSecond: row.rateLimitPerSecond,
    scopes: row.scopes,
    requireTimestamp,
    signatureVersion: row.signatureVersion === 2 ? 2 : 1,
    trustedDocumentsOnly: row.trustedDocumentsOnly,
  };
}
