import type { Pool } from '../../../db/database.js';
import type { DeliveryDispatcher } from './dispatcher.js';

/**
 * A BullMQ mirror of a scheduled retry came due (jobs/webhooks.ts): wakes the dispatcher, which sends whatever
 * is due. False when no such delivery exists (the job names one that never was): the job fails for ops to see.
 */
export async function wakeForRetry(
  pool: Pool,
  dispatcher: DeliveryDispatcher,
  eventId: string,
  endpointId: string,
): Promise<boolean> {
  const r = await pool.query('select 1 from webhook_deliveries where event_id = $1 and endpoint_id = $2', [
    eventId,
    endpointId,
  ]);
  if (r.rowCount === 0) return false;
  dispatcher.kick();
  return true;
}
