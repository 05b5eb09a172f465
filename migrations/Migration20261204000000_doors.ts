import { Migration } from '@mikro-orm/migrations';

// Two guards of the API's doors (issue 12):
// - api_keys.signature_version: 2 makes the method-, path- and timestamp-bound request signature mandatory
//   for that key (1 keeps the legacy page's scheme, with version 2 still allowed per request).
// - revoked_tokens: bearer tokens revoked before they expire (portal sign-out, `admin revoke`), by jti. Rows
//   are needed only until the token would have expired anyway.
export class Migration20261204000000_doors extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table api_keys add column signature_version smallint not null default 1
         constraint api_keys_signature_version check (signature_version in (1, 2));`,
    );
    this.addSql(`
      create table revoked_tokens (
        jti text primary key,
        subject text,
        reason text,
        expires_at timestamptz not null,
        revoked_at timestamptz not null default now()
      );`);
    this.addSql('create index revoked_tokens_expires_idx on revoked_tokens (expires_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists revoked_tokens;');
    this.addSql('alter table api_keys drop column if exists signature_version;');
  }
}
