import { Migration } from '@mikro-orm/migrations';

// The events list pages in commit-safe order (docs/graphql.md, "Pagination"): by the id of the transaction
// that wrote each event, listed only once every older transaction has finished, so an event that commits late
// is never behind a client that already walked to the newest end.
//
// Existing rows take 0: below every real transaction id (normal ids start at 3), so they keep their order
// among themselves (created_at, id, the next columns of the key) behind every event written from now on. A
// constant default adds the column without rewriting the table; new rows then take their writer's id. The
// ALTER waits for every transaction that has written an event, so each row that takes 0 has committed before
// any reader sees the column, and a row written after it takes its writer's own id.
export class Migration20261208100000_events_commit_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table events add column txid xid8 not null default '0';`);
    this.addSql('alter table events alter column txid set default pg_current_xact_id();');
    this.addSql(
      'create index events_list_txid_idx on events (merchant_id, mode, txid desc, created_at desc, id desc);',
    );
    // The admin list, every merchant's.
    this.addSql('create index events_txid_idx on events (txid desc, created_at desc, id desc);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists events_txid_idx;');
    this.addSql('drop index if exists events_list_txid_idx;');
    this.addSql('alter table events drop column if exists txid;');
  }
}
