import { Migration } from '@mikro-orm/migrations';

// Sweeps (issue 20): deposit addresses emptied into the hot wallet, and the hot wallet's excess moved to cold.
// - sweeps: one row per move, with the tokens it moves, the coin it needed topping up with and the fee
//   parameters decided when it was planned. At most one open sweep per source address.
// - treasury_transactions: every transaction the treasury signs (top-ups from the hot wallet, sweeps from a
//   deposit address, moves to cold), stored before it is sent, like payout_transactions. `signer_key` names the
//   nonce space (an EVM address on one chain id); a nonce belongs to one transaction for ever.
// - treasury_nonces: the next nonce of each deposit address that sweeps (the hot wallet's stays in hot_wallets,
//   shared with payouts).
export class Migration20261206100000_sweeps extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table treasury_transactions (
        id bigserial primary key,
        chain text not null,
        kind text not null check (kind in ('topup', 'sweep', 'cold')),
        signer_key text not null,
        nonce bigint,
        tx_hash text not null unique,
        raw_tx text not null,
        value numeric(78, 0) not null default 0,
        fee_params jsonb not null default '{}',
        status text not null check (status in ('signed', 'broadcast', 'mined', 'confirmed', 'failed')),
        block_number bigint,
        fee_paid numeric(78, 0),
        last_error text,
        created_at timestamptz not null default now(),
        broadcast_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(
      'create unique index treasury_transactions_nonce_uniq on treasury_transactions (signer_key, nonce) where nonce is not null;',
    );
    this.addSql(
      `create index treasury_transactions_open_idx on treasury_transactions (chain, id) where status in ('signed', 'broadcast', 'mined');`,
    );
    this.addSql(`
      create table sweeps (
        id text primary key,
        chain text not null,
        network text not null,
        mode text not null check (mode in ('live', 'test')),
        kind text not null check (kind in ('sweep', 'cold')),
        from_address text not null,
        address_index bigint,
        deposit_id text references deposits(id),
        to_address text not null,
        amount numeric(78, 0) not null check (amount > 0),
        topup numeric(78, 0) not null default 0 check (topup >= 0),
        fee_params jsonb not null default '{}',
        status text not null check (status in ('funding', 'ready', 'signed', 'broadcast', 'confirming', 'completed', 'failed')),
        failure_reason text,
        topup_tx_id bigint references treasury_transactions(id),
        tx_id bigint references treasury_transactions(id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        completed_at timestamptz
      );`);
    this.addSql(
      `create unique index sweeps_one_open_per_address on sweeps (chain, from_address)
       where status not in ('completed', 'failed');`,
    );
    this.addSql(
      `create index sweeps_open_idx on sweeps (chain, status, created_at) where status not in ('completed', 'failed');`,
    );
    this.addSql('create index sweeps_address_idx on sweeps (chain, from_address, status);');
    this.addSql('create index sweeps_topup_idx on sweeps (topup_tx_id) where topup_tx_id is not null;');
    this.addSql(`
      create table treasury_nonces (
        signer_key text primary key,
        next_nonce bigint not null,
        updated_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists treasury_nonces, sweeps, treasury_transactions;');
  }
}
