import { Migration } from '@mikro-orm/migrations';

// The payout worker follows a wallet's withdrawals still `processing`; completed ones keep their landed
// transaction as `mined` for the record, so the open set is found from the withdrawals, through this index.
export class Migration20261126050000_payout_follow extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index withdrawals_processing_wallet_idx on withdrawals (wallet_key, id) where status = 'processing';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists withdrawals_processing_wallet_idx;');
  }
}
