import { Migration } from '@mikro-orm/migrations';

// Webhook deliveries are dispatched straight from PostgreSQL (issue 13): a worker claims due deliveries per
// endpoint and leases them under its own name until their outcome is written.
// - lease_owner: which worker holds the lease; an outcome is written only by the holder, so a late answer
//   after a lost lease or a redelivery never overwrites the newer state.
// - webhook_deliveries_due_idx: finds the endpoints with pending deliveries (a loose index scan) and each
//   endpoint's earliest due ones, so one endpoint's backlog never hides another's.
export class Migration20261205000000_webhook_dispatch extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table webhook_deliveries add column lease_owner text;');
    this.addSql(
      `create index webhook_deliveries_due_idx on webhook_deliveries (endpoint_id, next_attempt_at)
         where status = 'pending';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists webhook_deliveries_due_idx;');
    this.addSql('alter table webhook_deliveries drop column if exists lease_owner;');
  }
}
