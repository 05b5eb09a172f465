import type { Pool, PoolClient } from '../../db/database.js';

// The withdrawal's audit trail (withdrawal_audit): every step, who took it and why, in the transaction that
// took it. An audit row's id also tells whether that transaction committed when its COMMIT got no answer.

/** Records a step of the withdrawal; returns the audit row's id. */
export async function audit(
  c: PoolClient,
  id: string,
  action: string,
  actor: string,
  reason: string | null,
): Promise<string> {
  const r = await c.query<{ id: string }>(
    'insert into withdrawal_audit (withdrawal_id, action, actor, reason) values ($1, $2, $3, $4) returning id::text',
    [id, action, actor, reason],
  );
  return r.rows[0]!.id;
}

/** Whether this audit row exists, i.e. its transaction committed. False when that cannot be read either. */
export function auditCommitted(pool: Pool, auditId: string): Promise<boolean> {
  return pool
    .query('select 1 from withdrawal_audit where id = $1', [auditId])
    .then((r) => r.rowCount === 1)
    .catch(() => false);
}
