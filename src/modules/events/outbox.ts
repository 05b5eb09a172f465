import type { Pool, PoolClient } from '../../db/database.js';
import { stringifyExact } from '../../lib/page-format.js';
import type { Mode } from '../../lib/tenant.js';
import type { EventDraft, StoredEvent } from './types.js';

// The transactional outbox: events are rows written with the change they describe. The relay
// (jobs/outbox-relay.ts) publishes them; nothing is lost while Redis or a worker is down.

const SQL = {
  insert: {
    name: 'outbox_insert',
    text: `insert into events (id, merchant_id, mode, type, payload, created_at)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])`,
  },
} as const;

export async function insertEvents(client: PoolClient | Pool, drafts: EventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await client.query({
    ...SQL.insert,
    values: [
      drafts.map((d) => d.id),
      drafts.map((d) => d.merchantId),
      drafts.map((d) => d.mode),
      drafts.map((d) => d.type),
      drafts.map((d) => stringifyExact(d.data)),
      drafts.map((d) => d.createdAt),
    ],
  });
}

export interface EventRow {
  id: string;
  merchant_id: string;
  mode: Mode;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  published_at: Date | null;
}

export function toStoredEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    type: r.type as StoredEvent['type'],
    data: r.payload,
    createdAt: r.created_at,
    publishedAt: r.published_at,
  };
}

export class EventsReader {
  constructor(private readonly pool: Pool) {}

  async get(merchantId: string, mode: Mode, id: string): Promise<StoredEvent | null> {
    const r = await this.pool.query<EventRow>(
      'select * from events where id = $1 and merchant_id = $2 and mode = $3',
      [id, merchantId, mode],
    );
    return r.rows[0] ? toStoredEvent(r.rows[0]) : null;
  }
}
