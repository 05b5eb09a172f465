import { Migration } from '@mikro-orm/migrations';

// Events: the transactional outbox, webhook endpoints, deliveries (the durable truth of what must reach
// whom) and every delivery attempt.
export class Migration20261126010000_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table events (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        type text not null,
        payload jsonb not null,
        created_at timestamptz not null default now(),
        published_at timestamptz
      );`);
    this.addSql('create index events_unpublished_idx on events (created_at, id) where published_at is null;');
    this.addSql('create index events_list_idx on events (merchant_id, mode, created_at desc, id desc);');
    // Wake relays at commit: one notification per inserting statement, delivered only if it commits.
    this.addSql(`
      create function events_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('novapay_outbox', '');
        return null;
      end $$;`);
    this.addSql(
      `create trigger events_notify after insert on events for each statement execute function events_notify();`,
    );
    this.addSql(`
      create table webhook_endpoints (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        url text not null check (length(url) <= 2048),
        description text,
        events text[] not null default '{}',
        secret_ciphertext bytea not null,
        previous_secret_ciphertext bytea,
        previous_secret_expires_at timestamptz,
        status text not null default 'enabled' check (status in ('enabled', 'disabled')),
        disabled_reason text,
        failing_since timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz
      );`);
    this.addSql(
      'create index webhook_endpoints_merchant_idx on webhook_endpoints (merchant_id, mode) where deleted_at is null;',
    );
    this.addSql(`
      create table webhook_deliveries (
        event_id text not null references events(id),
        endpoint_id text not null references webhook_endpoints(id),
        merchant_id text not null,
        mode text not null,
        status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        -- A worker leases a delivery while it sends it, so two jobs for one delivery never send at once.
        leased_until timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (event_id, endpoint_id)
      );`);
    this.addSql(
      `create index webhook_deliveries_pending_idx on webhook_deliveries (next_attempt_at) where status = 'pending';`,
    );
    this.addSql(
      'create index webhook_deliveries_list_idx on webhook_deliveries (merchant_id, mode, created_at desc);',
    );
    this.addSql(`
      create table webhook_attempts (
        id bigserial primary key,
        event_id text not null,
        endpoint_id text not null,
        attempt integer not null,
        status_code integer,
        latency_ms integer not null,
        response_snippet text,
        error text,
        created_at timestamptz not null default now(),
        foreign key (event_id, endpoint_id) references webhook_deliveries(event_id, endpoint_id)
      );`);
    this.addSql(
      'create index webhook_attempts_delivery_idx on webhook_attempts (event_id, endpoint_id, id);',
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists webhook_attempts, webhook_deliveries, webhook_endpoints, events cascade;',
    );
    this.addSql('drop function if exists events_notify();');
  }
}
