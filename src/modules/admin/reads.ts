import type { Pool } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { byTime, type KeyColumn, type KeyedRows, keySelect } from '../../lib/keyset.js';
import type { Mode, Tenant } from '../../lib/tenant.js';
import type { DepositRow, DepositsService, DepositView } from '../deposits/index.js';
import type { StoredEvent } from '../events/index.js';
import { type EventRow, toStoredEvent } from '../events/index.js';
import type { DeliveryRow, EndpointRow } from '../webhooks/index.js';
import { type Page, type TimeRange, Where } from './where.js';

// Admin reads across merchants (issue 19): deposits, events, webhook endpoints and deliveries, each filtered
// by merchant and mode when asked. The merchant-facing services keep their tenant-scoped reads; these are
// the same rows without the tenant bound, for admin tokens only (the schema checks the scope).

export type { Tenant } from '../../lib/tenant.js';

export interface AdminDepositFilter extends TimeRange {
  merchantId?: string | null;
  mode?: Mode | null;
  network?: string | null;
  status?: string | null;
  userId?: string | null;
  /** Every flag listed must be set (late, underpaid, overpaid, multiple). */
  flags?: string[] | null;
}

export interface AdminEventFilter extends TimeRange {
  merchantId?: string | null;
  mode?: Mode | null;
  type?: string | null;
}

export interface AdminEndpointFilter {
  merchantId?: string | null;
  mode?: Mode | null;
  /** enabled | disabled */
  status?: string | null;
  failing?: boolean | null;
}

export interface AdminDeliveryFilter {
  merchantId?: string | null;
  mode?: Mode | null;
  endpointId?: string | null;
  eventId?: string | null;
  status?: string | null;
}

/** One payment seen on chain for a deposit: where the token went and whether it became Stars. */
export interface DepositPayment {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockTime: Date;
  fromAddress: string;
  amountMinor: string;
  tokenDecimals: number;
  status: 'seen' | 'credited' | 'orphaned';
  transactionId: string | null;
  creditedStarsMinor: bigint | null;
  creditedAt: Date | null;
}

export interface LedgerTransactionView {
  id: string;
  merchantId: string;
  mode: Mode;
  type: string;
  amountMinor: bigint;
  fromKind: string;
  fromCode: string;
  toKind: string;
  toCode: string;
  fromBalanceAfterMinor: bigint;
  toBalanceAfterMinor: bigint;
  description: string | null;
  metadata: Record<string, string | number | boolean> | null;
  createdAt: Date;
}

async function paged<T>(pool: Pool, table: string, w: Where, cols: readonly KeyColumn[], p: Page) {
  const page = w.page(cols, p);
  const [rows, count] = await Promise.all([
    pool.query<T & { page_key: string[] }>(
      `select *, ${keySelect(cols)} from ${table} ${w.sql} ${page.sql}`,
      page.params,
    ),
    pool.query<{ n: number }>(`select count(*)::int as n from ${table} ${w.sql}`, w.params),
  ]);
  return { rows: rows.rows as T[], keys: rows.rows.map((r) => r.page_key), total: count.rows[0]!.n };
}

/**
 * The sort key of the events list, commit-safe (docs/graphql.md, "Pagination"): the id of the transaction
 * that wrote the event, then its time and id (rows from before the column all have transaction 0 and keep
 * their old order). An event becomes listable only below the reader's horizon, `LISTABLE`.
 */
const EVENT_KEY: KeyColumn[] = [{ sql: 'txid', type: 'xid8' }, ...byTime()];

/**
 * Below the oldest transaction still running when the query's snapshot was taken, every transaction has
 * finished: no event can appear there later. Anything that commits later has an id at or above this horizon,
 * so it sorts newer than every event a reader was shown (a subquery: evaluated once, a bound for the index).
 */
const LISTABLE = 'txid < (select pg_snapshot_xmin(pg_current_snapshot()))';

/** The sort key of the deliveries list: a delivery is one event to one endpoint. */
const DELIVERY_KEY: KeyColumn[] = [
  { sql: 'd.created_at', type: 'timestamptz' },
  { sql: 'd.event_id', type: 'text' },
  { sql: 'd.endpoint_id', type: 'text' },
];

export class AdminReads {
  constructor(
    private readonly pool: Pool,
    private readonly depositsService: DepositsService,
  ) {}

  async deposits(f: AdminDepositFilter & Page): Promise<KeyedRows<DepositView>> {
    const w = new Where()
      .add('merchant_id = ?', f.merchantId)
      .add('mode = ?', f.mode)
      .add('network = ?', f.network)
      .add('status = ?', f.status)
      .add('user_id = ?', f.userId)
      .add('flags @> ?::text[]', f.flags?.length ? f.flags : null)
      .add('created_at >= ?', f.from)
      .add('created_at < ?', f.to);
    const r = await paged<DepositRow>(this.pool, 'deposits', w, byTime(), f);
    return { ...r, rows: await Promise.all(r.rows.map((row) => this.depositsService.view(row))) };
  }

  async deposit(id: string): Promise<DepositView | null> {
    const r = await this.pool.query<DepositRow>('select * from deposits where id = $1', [id]);
    return r.rows[0] ? this.depositsService.view(r.rows[0]) : null;
  }

  async depositPayments(depositId: string): Promise<DepositPayment[]> {
    const r = await this.pool.query<DepositPayment>(
      `select t.tx_hash as "txHash", t.log_index as "logIndex", t.block_number::int as "blockNumber",
              t.block_time as "blockTime", t.from_address as "fromAddress", t.amount_minor::text as "amountMinor",
              d.token_decimals as "tokenDecimals", t.status, t.ledger_transaction_id as "transactionId",
              t.credited_stars_minor as "creditedStarsMinor", t.credited_at as "creditedAt"
       from chain_transfers t join deposits d on d.id = t.deposit_id
       where t.deposit_id = $1 order by t.block_number, t.log_index`,
      [depositId],
    );
    return r.rows;
  }

  /** The catch-up list, merchants' and admins' alike: only events below the horizon, in commit order. */
  async events(f: AdminEventFilter & Page): Promise<KeyedRows<StoredEvent>> {
    const w = new Where()
      .always(LISTABLE)
      .add('merchant_id = ?', f.merchantId)
      .add('mode = ?', f.mode)
      .add('type = ?', f.type)
      .add('created_at >= ?', f.from)
      .add('created_at < ?', f.to);
    w.page(EVENT_KEY, f); // a cursor's key is checked (a 400 naming the argument) before any query sees it
    const [r] = await Promise.all([
      paged<EventRow>(this.pool, 'events', w, EVENT_KEY, f),
      this.cursorRows(f),
    ]);
    return { ...r, rows: r.rows.map(toStoredEvent) };
  }

  /**
   * A cursor of the events list names an event with exactly that key: every cursor was a listed event's key,
   * and events are never deleted. (Not necessarily one of this filter's: a cursor keeps its place under
   * another filter, e.g. an admin's from the list of every merchant.) Anything else is a 400: above all a cursor of another database (one
   * restored from a dump, docs/runbook.md), whose transaction ids name no place in this one's order, and which
   * would otherwise place the walk past events it has not shown.
   */
  private async cursorRows(f: Page): Promise<void> {
    for (const [param, key] of [
      ['after', f.after],
      ['before', f.before],
    ] as const) {
      if (!key) continue;
      const r = await this.pool.query<{ ok: boolean }>(
        `select exists (select 1 from events where id = $3 and txid = $1::xid8 and created_at = $2::timestamptz) as ok`,
        [...key],
      );
      if (!r.rows[0]!.ok) {
        throw new ValidationError(
          `${param} names no event of this list (a cursor of another database, one restored from a dump?). Start paging again without ${param}`,
          param,
        );
      }
    }
  }

  async event(id: string): Promise<StoredEvent | null> {
    const r = await this.pool.query<EventRow>('select * from events where id = $1', [id]);
    return r.rows[0] ? toStoredEvent(r.rows[0]) : null;
  }

  async endpoints(f: AdminEndpointFilter & Page): Promise<KeyedRows<EndpointRow>> {
    const w = new Where()
      .always('deleted_at is null')
      .add('merchant_id = ?', f.merchantId)
      .add('mode = ?', f.mode)
      .add('status = ?', f.status)
      .add('(failing_since is not null) = ?', f.failing);
    return paged<EndpointRow>(this.pool, 'webhook_endpoints', w, byTime(), f);
  }

  async endpoint(id: string): Promise<EndpointRow | null> {
    const r = await this.pool.query<EndpointRow>(
      'select * from webhook_endpoints where id = $1 and deleted_at is null',
      [id],
    );
    return r.rows[0] ?? null;
  }

  async deliveries(f: AdminDeliveryFilter & Page): Promise<KeyedRows<DeliveryRow>> {
    const w = new Where()
      .add('d.merchant_id = ?', f.merchantId)
      .add('d.mode = ?', f.mode)
      .add('d.endpoint_id = ?', f.endpointId)
      .add('d.event_id = ?', f.eventId)
      .add('d.status = ?', f.status);
    const page = w.page(DELIVERY_KEY, f);
    const [rows, count] = await Promise.all([
      this.pool.query<DeliveryRow & { page_key: string[] }>(
        `select d.*, e.type as event_type, ${keySelect(DELIVERY_KEY)}
         from webhook_deliveries d join events e on e.id = d.event_id ${w.sql} ${page.sql}`,
        page.params,
      ),
      this.pool.query<{ n: number }>(
        `select count(*)::int as n from webhook_deliveries d ${w.sql}`,
        w.params,
      ),
    ]);
    return { rows: rows.rows, keys: rows.rows.map((r) => r.page_key), total: count.rows[0]!.n };
  }

  /** The merchant and mode an event or endpoint belongs to (admin mutations act in that tenant). */
  async tenantOf(table: 'events' | 'webhook_endpoints', id: string, param: string): Promise<Tenant> {
    const r = await this.pool.query<{ merchant_id: string; mode: Mode }>(
      `select merchant_id, mode from ${table} where id = $1`,
      [id],
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError(table === 'events' ? 'Event' : 'Webhook endpoint', id, param);
    return { merchantId: row.merchant_id, mode: row.mode };
  }

  /** A ledger transaction with both accounts and their balances right after it. */
  async ledgerTransaction(id: string): Promise<LedgerTransactionView | null> {
    const r = await this.pool.query<LedgerTransactionView>(
      `select t.id, fa.merchant_id as "merchantId", fa.mode, t.type, t.amount_minor as "amountMinor",
              fa.kind as "fromKind", fa.code as "fromCode", ta.kind as "toKind", ta.code as "toCode",
              fe.balance_after_minor as "fromBalanceAfterMinor", te.balance_after_minor as "toBalanceAfterMinor",
              t.description, t.metadata, t.created_at as "createdAt"
       from ledger_transactions t
       join accounts fa on fa.id = t.from_account_id
       join accounts ta on ta.id = t.to_account_id
       join ledger_entries fe on fe.transaction_id = t.id and fe.account_id = t.from_account_id
       join ledger_entries te on te.transaction_id = t.id and te.account_id = t.to_account_id
       where t.id = $1`,
      [id],
    );
    return r.rows[0] ?? null;
  }
}
