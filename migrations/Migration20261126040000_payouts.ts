import { Migration } from '@mikro-orm/migrations';

// Payouts on chain. A withdrawal's payout goes approved → signed (the signed transaction and its hash are
// stored before anything is sent) → broadcast → confirming → completed | failed; `withdrawals.status` stays in
// the API's words (approved, processing, completed, failed) and `payout_state` carries the step.
// Double-pay guards in the schema: an EVM nonce belongs to one withdrawal for ever (replacements reuse it), and a
// TRON withdrawal has at most one transaction that can still land.
export class Migration20261126040000_payouts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table hot_wallets (
        key text primary key,
        family text not null check (family in ('tron', 'evm')),
        address text not null,
        networks text[] not null default '{}',
        next_nonce bigint,
        balances jsonb not null default '{}',
        alert text,
        checked_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      alter table withdrawals
        add column payout_state text check (payout_state in ('queued', 'signed', 'broadcast', 'confirming', 'completed', 'failed')),
        add column wallet_key text references hot_wallets(key),
        add column payout_nonce bigint,
        add column confirmations integer not null default 0,
        add column waiting_reason text,
        add column completed_at timestamptz;`);
    this.addSql(
      'create unique index withdrawals_nonce_uniq on withdrawals (wallet_key, payout_nonce) where payout_nonce is not null;',
    );
    this.addSql(
      `create index withdrawals_open_payouts_idx on withdrawals (network, mode, created_at) where status in ('approved', 'processing');`,
    );
    this.addSql(`
      create table payout_transactions (
        id bigserial primary key,
        withdrawal_id text not null references withdrawals(id),
        wallet_key text not null references hot_wallets(key),
        tx_hash text not null unique,
        nonce bigint,
        raw_tx text not null,
        expires_at timestamptz,
        fee_params jsonb not null default '{}',
        status text not null check (status in ('signed', 'broadcast', 'mined', 'failed', 'replaced', 'expired')),
        block_number bigint,
        last_error text,
        created_at timestamptz not null default now(),
        broadcast_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(
      'create index payout_transactions_withdrawal_idx on payout_transactions (withdrawal_id, id);',
    );
    this.addSql(
      `create index payout_transactions_open_idx on payout_transactions (wallet_key, id) where status in ('signed', 'broadcast', 'mined');`,
    );
    // TRON has no nonces: a second transaction is built only after the first can no longer land (expired).
    this.addSql(
      `create unique index payout_transactions_one_open_tron on payout_transactions (withdrawal_id)
       where nonce is null and status in ('signed', 'broadcast', 'mined');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists payout_transactions;');
    this.addSql(
      'alter table withdrawals drop column payout_state, drop column wallet_key, drop column payout_nonce, drop column confirmations, drop column waiting_reason, drop column completed_at;',
    );
    this.addSql('drop table if exists hot_wallets;');
  }
}
