import { Migration } from '@mikro-orm/migrations';

// The house books (issue 20): what the platform holds on chain, in the chain's own units, per network and mode.
// The Stars ledger says what merchants and users are owed; these say where the coins are: on deposit addresses,
// in the hot wallet, in cold storage, and what left as payouts or burned as network fees. `token` is the
// network's token (USDT) in base units, `native` the chain's coin (TRX in sun, ETH/BNB in wei); numeric(78, 0),
// since 18-decimal amounts pass bigint's range. Append-only: a balance is the sum of its entries, so posting
// never waits on a hot row. `key` says what posted a transaction (a deposit's transfer, a sweep, a payout) and
// is unique, so a posting repeated after a crash or a rescan changes nothing.
export class Migration20261206000000_house_books extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table house_accounts (
        id bigserial primary key,
        network text not null,
        mode text not null check (mode in ('live', 'test')),
        asset text not null check (asset in ('token', 'native')),
        code text not null check (code in ('inflow', 'outflow', 'capital', 'custody:deposits', 'custody:hot',
          'custody:cold', 'network_fees')),
        created_at timestamptz not null default now(),
        constraint house_accounts_identity unique (network, mode, asset, code)
      );`);
    this.addSql(`
      create table house_transactions (
        id bigserial primary key,
        key text not null unique,
        type text not null check (type in ('deposit', 'sweep', 'topup', 'fee', 'payout', 'cold', 'funding')),
        network text not null,
        mode text not null check (mode in ('live', 'test')),
        asset text not null check (asset in ('token', 'native')),
        amount numeric(78, 0) not null check (amount > 0),
        from_account_id bigint not null references house_accounts(id),
        to_account_id bigint not null references house_accounts(id),
        reference text,
        metadata jsonb,
        created_at timestamptz not null default now()
      );`);
    this.addSql(
      'create index house_transactions_list_idx on house_transactions (network, mode, created_at desc, id desc);',
    );
    this.addSql(`
      create table house_entries (
        id bigserial primary key,
        transaction_id bigint not null references house_transactions(id),
        account_id bigint not null references house_accounts(id),
        amount numeric(78, 0) not null check (amount <> 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index house_entries_account_idx on house_entries (account_id);');
    this.addSql('create index house_entries_transaction_idx on house_entries (transaction_id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists house_entries, house_transactions, house_accounts;');
  }
}
