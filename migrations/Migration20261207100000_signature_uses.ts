import { Migration } from '@mikro-orm/migrations';

// Version-2 request signatures are accepted once (src/http/replay-cache.ts). Redis used to be their only record,
// so a Redis that came back empty (a restart without persistence, a failover, a flush) or was away let a captured
// request in again within its timestamp window, a transfer without an Idempotency-Key included. PostgreSQL is the
// record now: one row per signature, until its timestamp leaves the window (then purged).
export class Migration20261207100000_signature_uses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table signature_uses (
        id text primary key,
        expires_at timestamptz not null
      );`);
    this.addSql('create index signature_uses_expires_idx on signature_uses (expires_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists signature_uses;');
  }
}
