import { inTransaction, type Pool } from '../../db/database.js';
import { ValidationError } from '../../lib/errors.js';
import type { Tenant } from '../../lib/tenant.js';
import { WEBHOOK_EVENT_TYPES } from '../events/index.js';
import type { MerchantsService } from '../merchants/index.js';
import type { EndpointRow } from './service.js';

// The checks of an endpoint's input that are more than a shape: subscribed event types, which secret signs
// the body's `signature`, and how many endpoints a merchant may have.

/** What signs the body's `signature` field: the endpoint's whsec_ secret (default) or an API key's secret. */
export const BODY_SIGNATURES = ['endpoint_secret', 'api_key'] as const;
export type BodySignature = (typeof BODY_SIGNATURES)[number];

export interface BodySignatureInput {
  bodySignature?: unknown;
  bodySignatureKeyId?: unknown;
}

export function parseEvents(events: unknown): string[] {
  if (events === undefined || events === null) return [];
  if (!Array.isArray(events)) throw new ValidationError('events must be a list of event types', 'events');
  for (const e of events) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) {
      throw new ValidationError(
        `unknown event '${String(e).slice(0, 40)}'; use ${WEBHOOK_EVENT_TYPES.join(', ')}`,
        'events',
      );
    }
  }
  return [...new Set(events as string[])];
}

/**
 * The API key that signs the body (null: the endpoint secret) from `bodySignature` and `bodySignatureKeyId`:
 * `api_key` without a key id means the calling key. Omitted: `current` stays.
 */
export async function bodySigningKey(
  merchants: MerchantsService,
  t: Tenant,
  input: BodySignatureInput,
  callerKeyId: string | null,
  current: string | null,
): Promise<string | null> {
  const kind = input.bodySignature ?? (input.bodySignatureKeyId ? 'api_key' : undefined);
  if (kind === undefined || kind === null) return current;
  if (!(BODY_SIGNATURES as readonly unknown[]).includes(kind))
    throw new ValidationError(`bodySignature must be one of ${BODY_SIGNATURES.join(', ')}`, 'bodySignature');
  if (kind === 'endpoint_secret') {
    if (input.bodySignatureKeyId)
      throw new ValidationError('bodySignatureKeyId goes with bodySignature api_key', 'bodySignatureKeyId');
    return null;
  }
  const keyId = input.bodySignatureKeyId ?? callerKeyId;
  if (typeof keyId !== 'string' || !keyId)
    throw new ValidationError(
      'bodySignatureKeyId is required: which API key signs the body',
      'bodySignatureKeyId',
    );
  const key = await merchants.keySecret(keyId);
  if (!key || key.merchantId !== t.merchantId || key.mode !== t.mode || key.revoked)
    throw new ValidationError(
      `no active API key ${keyId.slice(0, 40)} of this merchant in ${t.mode} mode`,
      'bodySignatureKeyId',
    );
  return keyId;
}

/**
 * Inserts an endpoint (`values`: id, merchant, mode, url, description, events, secret, body key) unless its
 * merchant already has `max` in that mode; undefined then. Every event fans out to each endpoint, so without
 * a cap one transfer could be made into any number of requests to any URL. One creation at a time per
 * merchant and mode (a transaction-scoped advisory lock: no row lock that transfers' foreign key checks would
 * wait on), so concurrent creations cannot pass the cap together.
 */
export function insertEndpoint(pool: Pool, values: unknown[], max: number): Promise<EndpointRow | undefined> {
  return inTransaction(pool, async (c) => {
    await c.query(
      `select pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1 || ':' || $2, 0))`,
      [values[1], values[2]],
    );
    const r = await c.query<EndpointRow>(
      `insert into webhook_endpoints (id, merchant_id, mode, url, description, events, secret_ciphertext, body_signing_key_id)
       select $1, $2, $3, $4, $5, $6, $7, $8
       where (select count(*) from webhook_endpoints where merchant_id = $2 and mode = $3 and deleted_at is null) < $9
       returning *`,
      [...values, max],
    );
    return r.rows[0];
  });
}
