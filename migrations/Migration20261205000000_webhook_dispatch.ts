import { Migration } from '@mikro-orm/migrations';

// Webhook deliveries are dispatched straight from PostgreSQL (issue 13): a worker claims due deliveries per
// endpoint and leases them under its own name until their outcome is written.
// - lease_owner: which worker holds the lease; an outcome is written only by the holder, so a late answer
//   after a lost lease or a redelivery never overwrites the newer state.
// - webhook_deliveries_due_idx: finds the endpoints with pending deliveries (a loose index scan) and each
//   endpoint's earliest due ones, so one endpoint's backlog never hides another's. It also serves every
//   query of pending deliveries, so the older pending index (by next_attempt_at alone) goes: one index fewer
//   to update on each of a delivery's writes.
// - fillfactor 80: room on each page for the lease updates (claim, renewal) to stay heap-only (HOT): the
//   lease columns are in no index, so those updates touch no index at all.
// - webhook_dispatch_owners: the worker that owns an endpoint's dispatch (its order and its concurrency cap)
//   until then, renewed while it works; a killed worker's endpoints lapse to others. A table of its own, so
//   the renewals never lock the endpoint rows that outcome writes update.
// - webhook_workers: the live workers (a heartbeat), so each takes a fair share of the busy endpoints.
export class Migration20261205000000_webhook_dispatch extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table webhook_deliveries add column lease_owner text;');
    this.addSql(
      `create index webhook_deliveries_due_idx on webhook_deliveries (endpoint_id, next_attempt_at)
         where status = 'pending';`,
    );
    this.addSql('drop index if exists webhook_deliveries_pending_idx;');
    this.addSql('alter table webhook_deliveries set (fillfactor = 80);');
    this.addSql(
      `create table webhook_dispatch_owners (
         endpoint_id text primary key references webhook_endpoints (id) on delete cascade,
         owner text not null, until timestamptz not null);`,
    );
    this.addSql(
      `create table webhook_workers (owner text primary key, seen_until timestamptz not null,
         started_at timestamptz not null default now());`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_workers;');
    this.addSql('drop table if exists webhook_dispatch_owners;');
    this.addSql('alter table webhook_deliveries reset (fillfactor);');
    this.addSql(
      `create index if not exists webhook_deliveries_pending_idx on webhook_deliveries (next_attempt_at)
         where status = 'pending';`,
    );
    this.addSql('drop index if exists webhook_deliveries_due_idx;');
    this.addSql('alter table webhook_deliveries drop column if exists lease_owner;');
  }
}
