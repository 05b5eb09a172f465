import { Migration } from '@mikro-orm/migrations';

// Deposits to unique HD addresses, the chain scanners' cursors and recent block hashes, every observed
// token transfer (keyed by network, tx hash and log index so a rescan never credits twice), and funds
// that reached our addresses but are not the deposit token (kept for ops).
export class Migration20261126020000_deposits extends Migration {
  override async up(): Promise<void> {
    // HD address indexes: sequences hand out each index once, without a lock held for the whole
    // deposit-creating transaction. A rolled-back create leaves a gap; see docs/deposits.md on gap limits.
    this.addSql('create sequence hd_index_tron minvalue 0 start 0 maxvalue 2147483647;');
    this.addSql('create sequence hd_index_evm minvalue 0 start 0 maxvalue 2147483647;');
    this.addSql(`
      create table deposits (
        id text primary key,
        merchant_id text not null references merchants(id),
        mode text not null check (mode in ('live', 'test')),
        user_id text not null,
        network text not null,
        chain text not null,
        currency text not null,
        token_decimals integer not null,
        expected_amount_minor numeric(78, 0) not null check (expected_amount_minor > 0),
        address text not null,
        address_index bigint not null,
        status text not null default 'pending' check (status in ('pending', 'confirming', 'confirmed', 'expired')),
        amount_received_minor numeric(78, 0) not null default 0,
        credited_stars_minor bigint not null default 0,
        payments integer not null default 0,
        confirmations integer not null default 0,
        required_confirmations integer not null,
        tx_hash text,
        flags text[] not null default '{}',
        failure_reason text,
        metadata jsonb,
        expires_at timestamptz not null,
        watch_until timestamptz not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        confirmed_at timestamptz,
        constraint deposits_address_unique unique (chain, address)
      );`);
    this.addSql('create index deposits_list_idx on deposits (merchant_id, mode, created_at desc, id desc);');
    this.addSql('create index deposits_watch_idx on deposits (chain, watch_until);');
    this.addSql(`create index deposits_expiry_idx on deposits (expires_at) where status = 'pending';`);
    this.addSql(`
      create table chain_cursors (
        chain text primary key,
        next_block bigint not null,
        head_block bigint,
        head_seen_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table chain_blocks (
        chain text not null,
        number bigint not null,
        hash text not null,
        parent_hash text not null,
        primary key (chain, number)
      );`);
    this.addSql(`
      create table chain_transfers (
        id bigserial primary key,
        chain text not null,
        tx_hash text not null,
        log_index integer not null,
        block_number bigint not null,
        block_hash text not null,
        block_time timestamptz not null,
        token_contract text not null,
        from_address text not null,
        to_address text not null,
        amount_minor numeric(78, 0) not null,
        deposit_id text not null references deposits(id),
        status text not null default 'seen' check (status in ('seen', 'credited', 'orphaned')),
        ledger_transaction_id text,
        credited_stars_minor bigint,
        created_at timestamptz not null default now(),
        credited_at timestamptz,
        constraint chain_transfers_unique unique (chain, tx_hash, log_index)
      );`);
    this.addSql(
      `create index chain_transfers_pending_idx on chain_transfers (chain, block_number) where status = 'seen';`,
    );
    this.addSql('create index chain_transfers_deposit_idx on chain_transfers (deposit_id);');
    this.addSql(`
      create table unexpected_funds (
        id bigserial primary key,
        chain text not null,
        tx_hash text not null,
        log_index integer not null default -1,
        block_number bigint not null,
        address text not null,
        asset text not null,
        amount_minor numeric(78, 0) not null,
        deposit_id text references deposits(id),
        created_at timestamptz not null default now(),
        constraint unexpected_funds_unique unique (chain, tx_hash, log_index, address)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists unexpected_funds, chain_transfers, chain_blocks, chain_cursors, deposits cascade;',
    );
    this.addSql('drop sequence if exists hd_index_tron, hd_index_evm;');
  }
}
