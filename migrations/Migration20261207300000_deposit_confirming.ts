import { Migration } from '@mikro-orm/migrations';

// What a deposit has on chain but not credited yet: the sum of its transfers still `seen` (gathering
// confirmations) and the latest of them. `amount_received_minor` and `tx_hash` stay what was credited (the
// treasury sweeps by them); these two let the API show a payment while it confirms (docs/deposits.md).
export class Migration20261207300000_deposit_confirming extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table deposits
        add column amount_confirming_minor numeric(78, 0) not null default 0,
        add column confirming_tx_hash text;`);
    this.addSql(`
      update deposits d set amount_confirming_minor = s.amount, confirming_tx_hash = s.latest
      from (select deposit_id, sum(amount_minor) as amount,
                   (array_agg(tx_hash order by block_number desc, log_index desc, id desc))[1] as latest
            from chain_transfers where status = 'seen' group by deposit_id) s
      where d.id = s.deposit_id;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table deposits drop column amount_confirming_minor, drop column confirming_tx_hash;');
  }
}
