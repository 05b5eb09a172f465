import { Migration } from '@mikro-orm/migrations';

// TRON sweeps: a TRON transaction can be included only until its expiration. Once the solidified head is past it
// and it is in no block it is dead (`expired`), and the sweep or top-up it carried is signed again; EVM
// transactions keep a null expiry.
export class Migration20261206200000_treasury_expiry extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table treasury_transactions add column expires_at timestamptz;');
    this.addSql('alter table treasury_transactions drop constraint treasury_transactions_status_check;');
    this.addSql(
      `alter table treasury_transactions add constraint treasury_transactions_status_check
       check (status in ('signed', 'broadcast', 'mined', 'confirmed', 'failed', 'expired'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table treasury_transactions drop constraint treasury_transactions_status_check;');
    this.addSql(
      `alter table treasury_transactions add constraint treasury_transactions_status_check
       check (status in ('signed', 'broadcast', 'mined', 'confirmed', 'failed'));`,
    );
    this.addSql('alter table treasury_transactions drop column expires_at;');
  }
}
