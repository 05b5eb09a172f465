import { Migration } from '@mikro-orm/migrations';

// The spine: merchants and their API keys, the double-entry ledger, idempotency records.
export class Migration20261126000000_spine extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table merchants (
        id text primary key,
        name text not null check (length(name) between 1 and 200),
        settings jsonb not null default '{}'::jsonb,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table api_keys (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        key_hash bytea not null unique,
        key_prefix text not null,
        secret_ciphertext bytea not null,
        ip_allowlist text[] not null default '{}',
        rate_limit_per_second integer not null check (rate_limit_per_second > 0),
        scopes text[] not null default '{}',
        require_timestamp boolean not null default false,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );`);
    this.addSql('create index api_keys_merchant_idx on api_keys (merchant_id, mode);');
    // One account per user and per system purpose, per merchant and mode. User balances may never go
    // below zero: the CHECK is the last line of defence behind the posting service's own guard.
    this.addSql(`
      create table accounts (
        id bigserial primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        kind text not null check (kind in ('user', 'system')),
        code text not null,
        balance_minor bigint not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint accounts_identity unique (merchant_id, mode, kind, code),
        constraint accounts_user_non_negative check (kind <> 'user' or balance_minor >= 0)
      );`);
    this.addSql(`
      create table ledger_transactions (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        type text not null check (type in ('deposit', 'withdrawal', 'transfer', 'refund', 'fee', 'adjustment')),
        amount_minor bigint not null check (amount_minor > 0),
        from_account_id bigint not null references accounts(id),
        to_account_id bigint not null references accounts(id),
        description text check (length(description) <= 500),
        metadata jsonb,
        created_at timestamptz not null default now()
      );`);
    this.addSql(
      'create index ledger_transactions_list_idx on ledger_transactions (merchant_id, mode, created_at desc, id desc);',
    );
    // Entries carry the account's balance after them, so history shows before/after without a scan.
    this.addSql(`
      create table ledger_entries (
        id bigserial primary key,
        transaction_id text not null references ledger_transactions(id),
        account_id bigint not null references accounts(id),
        amount_minor bigint not null check (amount_minor <> 0),
        balance_after_minor bigint not null,
        created_at timestamptz not null
      );`);
    this.addSql('create index ledger_entries_account_idx on ledger_entries (account_id, id desc);');
    this.addSql('create index ledger_entries_transaction_idx on ledger_entries (transaction_id);');
    this.addSql(`
      create table idempotency_keys (
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        key text not null check (length(key) between 1 and 255),
        operation text not null,
        request_hash bytea not null,
        state text not null check (state in ('in_progress', 'completed')),
        result jsonb,
        locked_at timestamptz not null default now(),
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        primary key (merchant_id, mode, key)
      );`);
    this.addSql('create index idempotency_keys_created_idx on idempotency_keys (created_at);');
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists idempotency_keys, ledger_entries, ledger_transactions, accounts, api_keys, merchants cascade;',
    );
  }
}
