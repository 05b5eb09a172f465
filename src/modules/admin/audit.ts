import type { Pool, PoolClient } from '../../db/database.js';

// The admin audit trail: every admin action of the ops console writes one row, in the same transaction as
// the action (so there is no action without its row, and no row for an action that did not happen).

export interface AuditEntry {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  merchantId?: string | null;
  mode?: string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  merchantId: string | null;
  mode: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export async function recordAudit(c: PoolClient | Pool, e: AuditEntry): Promise<void> {
  await c.query(
    `insert into admin_audit (actor, action, target_type, target_id, merchant_id, mode, reason, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      e.actor,
      e.action,
      e.targetType,
      e.targetId,
      e.merchantId ?? null,
      e.mode ?? null,
      e.reason ?? null,
      e.details ? JSON.stringify(e.details) : null,
    ],
  );
}

/** The trail of one object, oldest first; or the newest entries of every object. */
export async function auditTrail(
  pool: Pool,
  target: { type: string; id: string } | null,
  limit = 100,
): Promise<AuditRow[]> {
  const r = await pool.query<AuditRow>(
    `select id::text, actor, action, target_type as "targetType", target_id as "targetId",
            merchant_id as "merchantId", mode, reason, details, created_at as "createdAt"
     from admin_audit
     where ($1::text is null or (target_type = $1 and target_id = $2))
     order by ${target ? 'id' : 'id desc'} limit $3`,
    [target?.type ?? null, target?.id ?? null, limit],
  );
  return r.rows;
}
