import type { Pool, PoolClient } from '../../db/database.js';
import { decrypt, encrypt, randomHex } from '../../lib/crypto.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Tenant } from '../../lib/tenant.js';
import { parseOptionalText } from '../../lib/text.js';
import { WEBHOOK_EVENT_TYPES } from '../events/index.js';
import type { MerchantsService } from '../merchants/index.js';
import { type BodySignatureInput, bodySigningKey, insertEndpoint, parseEvents } from './endpoint-input.js';
import type { AttemptRow, DeliveryRow, EndpointRow } from './rows.js';
import type { SigningSecrets } from './signing.js';
import { parseWebhookUrl, type WebhookTargets } from './ssrf.js';

const DESCRIPTION_MAX = 500;

// Webhook endpoints per merchant and mode, their secrets (shown once, AES-256-GCM at rest) and the
// delivery log. Deliveries are recorded by fan-out.ts and sent by delivery/dispatcher.ts.

export type { AttemptRow, DeliveryJob, DeliveryRow, EndpointRow } from './rows.js';

/** NOTIFY channel that wakes the webhook dispatchers (new deliveries, redeliveries). */
export const WEBHOOKS_CHANNEL = 'novapay_webhooks';
/**
 * The payload of a NOTIFY on WEBHOOKS_CHANNEL saying an endpoint was disabled or deleted (`closed:<id>`): a
 * worker backing it off stops waiting for its next probe and fails its backlog now (delivery/dispatcher.ts).
 */
export const CLOSED_PREFIX = 'closed:';

/**
 * The end of a statement `with u as (update webhook_endpoints … returning *), …` that may close endpoints:
 * a CLOSED_PREFIX NOTIFY for each row of u (only when `when`, a condition on the statement's parameters, holds),
 * then u's rows. A CTE that only reads runs only as far as the main query reads it: n is read to the end by
 * count(*), which always gives one row, so every NOTIFY is sent and each row of u is returned once, whether
 * any NOTIFY was sent or not. The NOTIFY goes out when the statement's transaction commits.
 */
const notifyClosed = (when?: string) =>
  `n as (select pg_notify('${WEBHOOKS_CHANNEL}', '${CLOSED_PREFIX}' || id) from u${when ? ` where ${when}` : ''})
       select u.* from u cross join (select count(*) from n) x`;

/**
 * The CLOSED_PREFIX NOTIFY for endpoint `id`, for a transaction that disables it outside this service (the ops
 * console's disable): sent when that transaction commits, so a worker backing the endpoint off fails its
 * backlog then instead of at its next probe.
 */
export async function notifyEndpointClosed(client: PoolClient, id: string): Promise<void> {
  await client.query('select pg_notify($1, $2)', [WEBHOOKS_CHANNEL, `${CLOSED_PREFIX}${id}`]);
}

export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

const aad = (id: string) => `webhook_endpoint:${id}`;

export class WebhooksService {
  constructor(
    private readonly pool: Pool,
    private readonly masterKey: Buffer,
    private readonly merchants: MerchantsService,
    /** Where deliveries may go (ssrf.ts); the delivery job posts through it. */
    readonly targets: WebhookTargets,
    /** Endpoints a merchant may have in each mode: each event fans out to all of them (WEBHOOK_MAX_ENDPOINTS). */
    private readonly maxEndpoints = 16,
  ) {}

  /** Whether a tenant's endpoints may reach only public (or operator-allowed) addresses. */
  guarded(t: Tenant): Promise<boolean> {
    return this.targets.guards(
      t.mode,
      async () => (await this.merchants.settings(t.merchantId)).allowPrivateWebhookUrls,
    );
  }

  private async checkUrl(t: Tenant, raw: unknown): Promise<string> {
    const url = parseWebhookUrl(raw);
    if (await this.guarded(t)) await this.targets.assertAllowed(url, t.mode);
    return url.toString();
  }

  async create(
    t: Tenant,
    input: { url: unknown; events?: unknown; description?: unknown } & BodySignatureInput,
    callerKeyId: string | null = null,
  ) {
    const url = await this.checkUrl(t, input.url);
    const events = parseEvents(input.events);
    const description = parseOptionalText(input.description, 'description', DESCRIPTION_MAX);
    const bodyKey = await bodySigningKey(this.merchants, t, input, callerKeyId, null);
    const id = newId('whe');
    const secret = `whsec_${randomHex(32)}`;
    const values = [
      id,
      t.merchantId,
      t.mode,
      url,
      description,
      events,
      encrypt(this.masterKey, secret, aad(id)),
    ];
    const row = await insertEndpoint(this.pool, [...values, bodyKey], this.maxEndpoints);
    if (!row)
      throw new ValidationError(
        `at most ${this.maxEndpoints} webhook endpoints in each mode; delete one before adding another`,
      );
    return { endpoint: row, secret };
  }

  /** `param`: the argument that named the endpoint, for the not-found error (`id`, or `endpointId`). */
  async get(t: Tenant, id: string, param = 'id'): Promise<EndpointRow> {
    const r = await this.pool.query<EndpointRow>(
      'select * from webhook_endpoints where id = $1 and merchant_id = $2 and mode = $3 and deleted_at is null',
      [id, t.merchantId, t.mode],
    );
    if (!r.rows[0]) throw new NotFoundError('Webhook endpoint', id, param);
    return r.rows[0];
  }

  async list(t: Tenant): Promise<EndpointRow[]> {
    const r = await this.pool.query<EndpointRow>(
      'select * from webhook_endpoints where merchant_id = $1 and mode = $2 and deleted_at is null order by created_at',
      [t.merchantId, t.mode],
    );
    return r.rows;
  }

  async update(
    t: Tenant,
    id: string,
    input: { url?: unknown; events?: unknown; description?: unknown; enabled?: unknown } & BodySignatureInput,
    callerKeyId: string | null = null,
  ) {
    const current = await this.get(t, id);
    const url = input.url === undefined || input.url === null ? undefined : await this.checkUrl(t, input.url);
    const events =
      input.events === undefined || input.events === null ? undefined : parseEvents(input.events);
    const description =
      input.description === undefined || input.description === null
        ? undefined
        : parseOptionalText(input.description, 'description', DESCRIPTION_MAX);
    const bodyKey = await bodySigningKey(this.merchants, t, input, callerKeyId, current.body_signing_key_id);
    const enable = input.enabled === true;
    const disable = input.enabled === false;
    // Only the fields given change, in one statement, on a row that is still there: a concurrent update of
    // other fields is not overwritten with what this request read, and an endpoint deleted meanwhile stays
    // deleted (not_found, as if the delete had come first).
    // A disable also wakes the workers for it (CLOSED_PREFIX), in the same statement.
    const r = await this.pool.query<EndpointRow>(
      `with u as (update webhook_endpoints set
         url = case when $2::boolean then $3 else url end,
         events = case when $4::boolean then $5::text[] else events end,
         description = case when $6::boolean then $7 else description end,
         updated_at = now(),
         status = case when $8 then 'enabled' when $9 then 'disabled' else status end,
         disabled_reason = case when $8 then null when $9 then 'disabled by the merchant' else disabled_reason end,
         failing_since = case when $8 then null else failing_since end,
         body_signing_key_id = case when $10::boolean then $11 else body_signing_key_id end
       where id = $1 and merchant_id = $12 and mode = $13 and deleted_at is null returning *),
       ${notifyClosed('$9')}`,
      [
        id,
        url !== undefined,
        url ?? null,
        events !== undefined,
        events ?? null,
        description !== undefined,
        description ?? null,
        enable,
        disable,
        bodyKey !== current.body_signing_key_id,
        bodyKey,
        t.merchantId,
        t.mode,
      ],
    );
    if (!r.rows[0]) throw new NotFoundError('Webhook endpoint', id, 'id');
    return r.rows[0];
  }

  /** New secret now; the old one keeps signing (a second v1=) for 24 hours. */
  async rotateSecret(t: Tenant, id: string) {
    await this.get(t, id);
    const secret = `whsec_${randomHex(32)}`;
    const r = await this.pool.query<EndpointRow>(
      `update webhook_endpoints set previous_secret_ciphertext = secret_ciphertext,
         previous_secret_expires_at = now() + make_interval(secs => $3), secret_ciphertext = $2, updated_at = now()
       where id = $1 and deleted_at is null returning *`,
      [id, encrypt(this.masterKey, secret, aad(id)), ROTATION_OVERLAP_MS / 1000],
    );
    if (!r.rows[0]) throw new NotFoundError('Webhook endpoint', id, 'id');
    return { endpoint: r.rows[0], secret };
  }

  async delete(t: Tenant, id: string): Promise<EndpointRow> {
    await this.get(t, id);
    const r = await this.pool.query<EndpointRow>(
      `with u as (update webhook_endpoints set deleted_at = now(), status = 'disabled', disabled_reason = 'deleted'
         where id = $1 and deleted_at is null returning *),
       ${notifyClosed()}`,
      [id],
    );
    // Two deletes at once: the second finds it gone, as a delete after a delete does.
    if (!r.rows[0]) throw new NotFoundError('Webhook endpoint', id, 'id');
    return r.rows[0];
  }

  /**
   * What signs a delivery now: the header with the endpoint's secrets, the body `signature` with the first of
   * them, or with the API key's secret when the endpoint opted in (a key revoked since keeps signing until the
   * endpoint is switched; `keys rotate` switches it to the new key).
   */
  async signingSecrets(row: EndpointRow, now = new Date()): Promise<SigningSecrets> {
    const header = this.secrets(row, now);
    if (!row.body_signing_key_id) return { header, body: header[0]! };
    const key = await this.merchants.keySecret(row.body_signing_key_id);
    if (!key)
      throw new Error(`webhook endpoint ${row.id}: signing key ${row.body_signing_key_id} is missing`);
    return { header, body: key.secret };
  }

  /** The endpoint's own secrets: the current one, then the previous one while it overlaps. */
  secrets(row: EndpointRow, now = new Date()): string[] {
    const out = [decrypt(this.masterKey, row.secret_ciphertext, aad(row.id))];
    if (
      row.previous_secret_ciphertext &&
      row.previous_secret_expires_at &&
      row.previous_secret_expires_at > now
    ) {
      out.push(decrypt(this.masterKey, row.previous_secret_ciphertext, aad(row.id)));
    }
    return out;
  }

  async deliveries(
    t: Tenant,
    f: {
      endpointId?: string | null;
      eventId?: string | null;
      status?: string | null;
      offset: number;
      limit: number;
    },
  ) {
    const where = `d.merchant_id = $1 and d.mode = $2 and ($3::text is null or d.endpoint_id = $3)
                   and ($4::text is null or d.event_id = $4) and ($5::text is null or d.status = $5)`;
    const base = [t.merchantId, t.mode, f.endpointId ?? null, f.eventId ?? null, f.status ?? null];
    const [rows, count] = await Promise.all([
      this.pool.query<DeliveryRow>(
        `select d.*, e.type as event_type from webhook_deliveries d join events e on e.id = d.event_id
         where ${where} order by d.created_at desc, d.event_id desc limit $6 offset $7`,
        [...base, f.limit, f.offset],
      ),
      this.pool.query<{ n: number }>(
        `select count(*)::int as n from webhook_deliveries d where ${where}`,
        base,
      ),
    ]);
    return { rows: rows.rows, total: count.rows[0]!.n };
  }

  async attempts(eventId: string, endpointId: string): Promise<AttemptRow[]> {
    const r = await this.pool.query<AttemptRow>(
      'select * from webhook_attempts where event_id = $1 and endpoint_id = $2 order by id',
      [eventId, endpointId],
    );
    return r.rows;
  }

  /** Sends an event again (same event id) to one endpoint or to every endpoint subscribed to it now. */
  async redeliver(t: Tenant, eventId: string, endpointId?: string | null): Promise<DeliveryRow[]> {
    const ev = await this.pool.query<{ type: string }>(
      'select type from events where id = $1 and merchant_id = $2 and mode = $3',
      [eventId, t.merchantId, t.mode],
    );
    const type = ev.rows[0]?.type;
    if (!type) throw new NotFoundError('Event', eventId, 'eventId');
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new ValidationError(`${type} events are not delivered to webhooks`, 'eventId');
    }
    const targets = endpointId
      ? [await this.get(t, endpointId, 'endpointId')]
      : (await this.list(t)).filter(
          (e) => e.status === 'enabled' && (e.events.length === 0 || e.events.includes(type)),
        );
    if (targets.length === 0)
      throw new ValidationError('No enabled endpoint is subscribed to this event', 'endpointId');
    const ids = targets.map((e) => e.id);
    // Due now, and out of any worker's hands: a send of the same delivery still in flight writes nothing
    // when it ends (its lease is gone), so this redelivery always happens. The rows are taken in key order,
    // as the worker's outcome writes take them (delivery/store-sql.ts), or the two could deadlock.
    await this.pool.query(
      `with d as (
         insert into webhook_deliveries (event_id, endpoint_id, merchant_id, mode)
         select $1, k.endpoint_id, $3, $4 from unnest($2::text[]) as k(endpoint_id) order by k.endpoint_id
         on conflict (event_id, endpoint_id) do update set status = 'pending', next_attempt_at = now(),
           leased_until = null, lease_owner = null, updated_at = now()
         returning 1)
       select pg_notify('${WEBHOOKS_CHANNEL}', '') from (select count(*) from d) x`,
      [eventId, ids, t.merchantId, t.mode],
    );
    return (await this.deliveries(t, { eventId, offset: 0, limit: 100 })).rows.filter((d) =>
      ids.includes(d.endpoint_id),
    );
  }
}
