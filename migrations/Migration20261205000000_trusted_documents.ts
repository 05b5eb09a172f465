import { Migration } from '@mikro-orm/migrations';

// api_keys.trusted_documents_only: the key (and the browser tokens it mints) may run only known GraphQL
// operations, the trusted documents of the server's manifests (src/http/trusted-documents.ts). Opt-in per key.
export class Migration20261205000000_trusted_documents extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table api_keys add column trusted_documents_only boolean not null default false;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table api_keys drop column if exists trusted_documents_only;');
  }
}
