import { Migration } from '@mikro-orm/migrations';

// Withdrawals: the request (its Stars held in the merchant's payouts-in-flight account from the moment it
// is created), its fees, its approval state, and an audit trail of every decision.
export class Migration20261126030000_withdrawals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table withdrawals (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        user_id text not null,
        network text not null,
        wallet_address text not null,
        amount_minor bigint not null check (amount_minor > 0),
        fee_minor bigint not null check (fee_minor >= 0),
        token_decimals integer not null,
        amount_token_minor numeric(78, 0) not null check (amount_token_minor > 0),
        network_fee_token_minor numeric(78, 0) not null,
        status text not null check (status in ('pending_approval', 'approved', 'processing', 'completed', 'failed', 'rejected')),
        failure_reason text,
        hold_transaction_id text not null,
        tx_hash text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(
      'create index withdrawals_list_idx on withdrawals (merchant_id, mode, created_at desc, id desc);',
    );
    this.addSql(
      'create index withdrawals_user_day_idx on withdrawals (merchant_id, mode, user_id, created_at);',
    );
    this.addSql(`
      create table withdrawal_audit (
        id bigserial primary key,
        withdrawal_id text not null references withdrawals(id),
        action text not null,
        actor text not null,
        reason text,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index withdrawal_audit_idx on withdrawal_audit (withdrawal_id, id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists withdrawal_audit, withdrawals cascade;');
  }
}
