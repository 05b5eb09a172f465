import { Migration } from '@mikro-orm/migrations';

// A REST replay answers its key's first body byte for byte (docs/api.md "Idempotency"). The body is made again
// from the stored result, so a key answered before `amount` took the page's format ("amount":50.00, now
// "amount":50) must still be replayed in the old one: `answer_format` says which. Rows written before this
// column, and by processes that do not know it (a rolling deploy), keep the default 1 (two decimals); a process
// that prints the page's format writes 2 when it completes a record (src/modules/idempotency/answer-format.ts).
export class Migration20261207200000_idempotency_answer_format extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table idempotency_keys add column answer_format smallint not null default 1;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table idempotency_keys drop column if exists answer_format;');
  }
}
