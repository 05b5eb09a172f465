import { Migration } from '@mikro-orm/migrations';

// A webhook endpoint may sign the body's `signature` with an API key's secret instead of its own whsec_
// secret (issue 17): the legacy page names only the API secret. Null keeps the endpoint secret (the default).
// `keys rotate` moves the reference to the new key.
export class Migration20261205100000_webhook_body_signature extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'alter table webhook_endpoints add column body_signing_key_id text references api_keys (id);',
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table webhook_endpoints drop column if exists body_signing_key_id;');
  }
}
