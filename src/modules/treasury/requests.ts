import type { Pool, PoolClient } from '../../db/database.js';

// Ops' `sweepAddress` requests (table sweep_requests): recorded with the audit row when accepted, served by the
// network's next unpaused sweep pass whatever became of the job that asked for it.

export interface PendingRequest {
  id: string;
  address: string;
}

/** Records a request; false when one for this address is already waiting. */
export async function recordRequest(
  c: PoolClient,
  r: { chain: string; address: string; requestedBy: string; jobId: string },
): Promise<boolean> {
  const ins = await c.query(
    `insert into sweep_requests (chain, address, requested_by, job_id) values ($1, $2, $3, $4)
     on conflict (chain, address) where served_at is null do nothing`,
    [r.chain, r.address, r.requestedBy, r.jobId],
  );
  return (ins.rowCount ?? 0) > 0;
}

/** The requests of a network waiting for a pass, oldest first. */
export async function pendingRequests(pool: Pool, chain: string, limit: number): Promise<PendingRequest[]> {
  const r = await pool.query<{ id: string; address: string }>(
    `select id::text, address from sweep_requests where chain = $1 and served_at is null
     order by requested_at, id limit $2`,
    [chain, limit],
  );
  return r.rows;
}

/** A pass served the request: `planned`, or why not. */
export async function serveRequest(pool: Pool, id: string, outcome: string): Promise<void> {
  await pool.query(
    'update sweep_requests set served_at = now(), outcome = $2 where id = $1 and served_at is null',
    [id, outcome],
  );
}
