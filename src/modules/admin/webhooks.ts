import { inTransaction, type Pool } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { parseOptionalText } from '../../lib/text.js';
import {
  type DeliveryRow,
  type EndpointRow,
  notifyEndpointClosed,
  type WebhooksService,
} from '../webhooks/index.js';
import { recordAudit } from './audit.js';
import type { AdminReads } from './reads.js';

// Admin actions on any merchant's webhooks, each audited with the actor: redeliver an event (the merchant's
// own `redeliverEvent`, in the event's tenant), and disable or enable an endpoint. Delivery itself is the
// dispatcher's (src/modules/webhooks/delivery), untouched: a redelivery is a pending delivery it picks up.

const REASON_MAX = 500;

export class AdminWebhooks {
  constructor(
    private readonly pool: Pool,
    private readonly webhooks: WebhooksService,
    private readonly reads: AdminReads,
  ) {}

  async redeliver(eventId: string, endpointId: string | null, actor: string): Promise<DeliveryRow[]> {
    const tenant = await this.reads.tenantOf('events', eventId, 'eventId');
    const rows = await this.webhooks.redeliver(tenant, eventId, endpointId);
    await recordAudit(this.pool, {
      actor,
      action: 'webhooks.redeliver',
      targetType: 'event',
      targetId: eventId,
      ...tenant,
      details: { endpoints: rows.map((d) => d.endpoint_id) },
    });
    return rows;
  }

  /** Disables (with a reason) or enables an endpoint; pending deliveries of a disabled one fail unsent. */
  async setEnabled(id: string, enabled: boolean, reasonInput: unknown, actor: string): Promise<EndpointRow> {
    const reason = parseOptionalText(reasonInput, 'reason', REASON_MAX)?.trim() || null;
    if (!enabled && !reason) throw new ValidationError('Say why the endpoint is disabled', 'reason');
    const endpoint = await this.reads.endpoint(id);
    if (!endpoint) throw new NotFoundError('Webhook endpoint', id, 'id');
    return inTransaction(this.pool, async (c) => {
      const r = await c.query<EndpointRow>(
        `update webhook_endpoints set updated_at = now(),
           status = case when $2 then 'enabled' else 'disabled' end,
           disabled_reason = case when $2 then null else $3 end,
           failing_since = case when $2 then null else failing_since end
         where id = $1 and deleted_at is null returning *`,
        [id, enabled, enabled ? null : `disabled by ops: ${reason}`],
      );
      const row = r.rows[0];
      if (!row) throw new NotFoundError('Webhook endpoint', id, 'id');
      // As a merchant's disable does: a worker backing the endpoint off fails its backlog at once, not at its
      // next probe (up to WEBHOOK_FAILING_PROBE_MAX_MS away).
      if (!enabled) await notifyEndpointClosed(c, id);
      await recordAudit(c, {
        actor,
        action: enabled ? 'webhooks.enable' : 'webhooks.disable',
        targetType: 'webhook_endpoint',
        targetId: id,
        merchantId: row.merchant_id,
        mode: row.mode,
        reason,
      });
      return row;
    });
  }
}
