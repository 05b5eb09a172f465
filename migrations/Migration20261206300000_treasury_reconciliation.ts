import { Migration } from '@mikro-orm/migrations';

// The latest comparison of custody on chain with the house books, per network and mode: `ok`, `in_flight`
// (a difference while transactions, payments or payouts are still moving: not an alert) or `mismatch` (a
// difference with nothing moving: the ops alert), with the differences and the addresses that hold them.
export class Migration20261206300000_treasury_reconciliation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table treasury_reconciliations (
        chain text primary key,
        network text not null,
        mode text not null check (mode in ('live', 'test')),
        status text not null check (status in ('ok', 'in_flight', 'mismatch')),
        differences jsonb not null default '[]',
        alert text,
        checked_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists treasury_reconciliations;');
  }
}
