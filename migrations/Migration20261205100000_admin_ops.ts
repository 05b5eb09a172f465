import { Migration } from '@mikro-orm/migrations';

// The ops console (issue 19): an audit trail of admin actions, the resolution of unexpected funds, and the
// indexes that let admins list and search across merchants.
// - admin_audit: one row per admin action (who, what, on which object, why), written in the same
//   transaction as the action itself.
// - unexpected_fund_resolutions: at most one per unexpected payment (the primary key), so a resolution
//   cannot be applied twice; a credit names the ledger transaction that paid the user.
export class Migration20261205100000_admin_ops extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table admin_audit (
        id bigserial primary key,
        actor text not null,
        action text not null,
        target_type text not null,
        target_id text not null,
        merchant_id text,
        mode text,
        reason text,
        details jsonb,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index admin_audit_target_idx on admin_audit (target_type, target_id, id);');
    this.addSql('create index admin_audit_time_idx on admin_audit (created_at desc, id desc);');
    this.addSql(`
      create table unexpected_fund_resolutions (
        unexpected_fund_id bigint primary key references unexpected_funds(id),
        action text not null check (action in ('credit', 'refund', 'ignore')),
        merchant_id text references merchants(id),
        mode text check (mode in ('live', 'test')),
        user_id text,
        amount_minor bigint check (amount_minor > 0),
        ledger_transaction_id text,
        reason text not null,
        actor text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index unexpected_funds_time_idx on unexpected_funds (created_at desc, id desc);');
    this.addSql('create index unexpected_funds_tx_idx on unexpected_funds (tx_hash);');
    this.addSql('create index unexpected_funds_address_idx on unexpected_funds (address);');
    this.addSql('create index withdrawals_wallet_idx on withdrawals (wallet_address);');
    this.addSql('create index deposits_time_idx on deposits (created_at desc, id desc);');
    this.addSql('create index deposits_address_idx on deposits (address);');
    this.addSql('create index deposits_tx_idx on deposits (tx_hash) where tx_hash is not null;');
    this.addSql('create index chain_transfers_tx_idx on chain_transfers (tx_hash);');
    this.addSql('create index withdrawals_tx_idx on withdrawals (tx_hash) where tx_hash is not null;');
    this.addSql('create index events_time_idx on events (created_at desc, id desc);');
  }

  override async down(): Promise<void> {
    for (const index of [
      'events_time_idx',
      'withdrawals_tx_idx',
      'chain_transfers_tx_idx',
      'deposits_tx_idx',
      'deposits_address_idx',
      'deposits_time_idx',
      'withdrawals_wallet_idx',
      'unexpected_funds_address_idx',
      'unexpected_funds_tx_idx',
      'unexpected_funds_time_idx',
    ]) {
      this.addSql(`drop index if exists ${index};`);
    }
    this.addSql('drop table if exists unexpected_fund_resolutions, admin_audit;');
  }
}
