import { Migration } from '@mikro-orm/migrations';

// Ops controls of a network's sweeping (the admin mutation `pauseSweeping`): a paused network's sweep passes only
// follow what is already on its way and start nothing (no plan, top-up, signature or cold move).
export class Migration20261206400000_treasury_controls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table treasury_controls (
        chain text primary key,
        network text not null,
        mode text not null check (mode in ('live', 'test')),
        paused boolean not null default false,
        changed_by text not null,
        changed_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists treasury_controls;');
  }
}
