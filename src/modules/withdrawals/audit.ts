import type { PoolClient } from '../../db/database.js';

// The withdrawal's audit trail (withdrawal_audit): every step, who took it and why, in the transaction that
// took it. Writing a step also reads that transaction's id, which tells whether it committed when its COMMIT
// got no answer (transactionCommitted, src/db/commit-outcome.ts, by PostgreSQL's own record).

/** Records a step of the withdrawal; returns the id of the transaction that took it. */
export async function audit(
  c: PoolClient,
  id: string,
  action: string,
  actor: string,
  reason: string | null,
): Promise<string> {
  const r = await c.query<{ xid: string }>(
    `insert into withdrawal_audit (withdrawal_id, action, actor, reason) values ($1, $2, $3, $4)
     returning pg_current_xact_id()::text as xid`,
    [id, action, actor, reason],
  );
  return r.rows[0]!.xid;
}
