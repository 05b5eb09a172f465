import { EntitySchema } from '@mikro-orm/core';
import { MODES, type Mode } from '../../lib/tenant.js';
import type { MerchantSettingsOverrides } from './settings.js';

// Mode lives in the kernel (src/lib/tenant.ts); re-exported for the entities' own users.
export { MODES, type Mode };

export class Merchant {
  id!: string;
  name!: string;
  settings!: MerchantSettingsOverrides;
  createdAt!: Date;
}

export class ApiKey {
  id!: string;
  merchantId!: string;
  mode!: Mode;
  keyHash!: Buffer;
  keyPrefix!: string;
  secretCiphertext!: Buffer;
  ipAllowlist!: string[];
  rateLimitPerSecond!: number;
  scopes!: string[];
  requireTimestamp!: boolean;
  signatureVersion!: 1 | 2;
  /** Only known GraphQL operations (trusted documents), for the key and the browser tokens it mints. */
  trustedDocumentsOnly!: boolean;
  createdAt!: Date;
  revokedAt?: Date | null;
}

// Explicit column types everywhere: no decorator metadata is needed (tsx emits none).
export const MerchantSchema = new EntitySchema<Merchant>({
  class: Merchant,
  tableName: 'merchants',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    settings: { type: 'json' },
    createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
  },
});

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_keys',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string', fieldName: 'merchant_id' },
    mode: { type: 'string' },
    keyHash: { type: 'Buffer', columnType: 'bytea', fieldName: 'key_hash' },
    keyPrefix: { type: 'string', fieldName: 'key_prefix' },
    secretCiphertext: { type: 'Buffer', columnType: 'bytea', fieldName: 'secret_ciphertext' },
    ipAllowlist: { type: 'string[]', columnType: 'text[]', fieldName: 'ip_allowlist' },
    rateLimitPerSecond: { type: 'integer', fieldName: 'rate_limit_per_second' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    requireTimestamp: { type: 'boolean', fieldName: 'require_timestamp' },
    signatureVersion: { type: 'smallint', fieldName: 'signature_version' },
    trustedDocumentsOnly: { type: 'boolean', fieldName: 'trusted_documents_only' },
    createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
    revokedAt: { type: 'Date', fieldName: 'revoked_at', nullable: true },
  },
});
