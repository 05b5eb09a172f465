import type { PoolClient } from '../../db/database.js';

// The withdrawal's audit trail (withdrawal_audit): every step, who took it and why, in the transaction that
// took it.

/** Records a step of the withdrawal. */
export async function audit(
  c: PoolClient,
  id: string,
  action: string,
  actor: string,
  reason: string | null,
): Promise<void> {
  await c.query(
    `insert into withdrawal_audit (withdrawal_id, action, actor, reason) values ($1, $2, $3, $4)`,
    [id, action, actor, reason],
  );
}
