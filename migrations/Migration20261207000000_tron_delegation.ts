import { Migration } from '@mikro-orm/migrations';

// TRON energy delegation and leftover TRX (issue 20 item 3):
// - a sweep in delegate mode waits for its energy (`delegating`) after its account is activated; the staking
//   account's DelegateResourceContract and, once the sweep is settled or failed, its UnDelegateResourceContract
//   are treasury transactions like the others (kinds `delegate`, `undelegate`), linked from the sweep;
// - a deposit address's leftover TRX goes back to the hot wallet as a sweep of kind `leftover` (TRX, not tokens);
//   `leftover_checked` says a settled sweep's address was looked at for it (rows from before: already looked at);
// - the house books gain `custody:staking`: the TRX a separate staking account owns (liquid, staked, delegated).
export class Migration20261207000000_tron_delegation extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table treasury_transactions drop constraint treasury_transactions_kind_check;');
    this.addSql(
      `alter table treasury_transactions add constraint treasury_transactions_kind_check
       check (kind in ('topup', 'sweep', 'cold', 'delegate', 'undelegate', 'leftover'));`,
    );
    this.addSql('alter table sweeps drop constraint sweeps_kind_check;');
    this.addSql(
      `alter table sweeps add constraint sweeps_kind_check check (kind in ('sweep', 'cold', 'leftover'));`,
    );
    this.addSql('alter table sweeps drop constraint sweeps_status_check;');
    this.addSql(
      `alter table sweeps add constraint sweeps_status_check
       check (status in ('funding', 'delegating', 'ready', 'signed', 'broadcast', 'confirming', 'completed', 'failed'));`,
    );
    this.addSql(`
      alter table sweeps
        add column delegate_tx_id bigint references treasury_transactions(id),
        add column undelegate_tx_id bigint references treasury_transactions(id),
        add column leftover_checked boolean not null default false;`);
    this.addSql('update sweeps set leftover_checked = true;');
    this.addSql(
      `create index sweeps_reclaim_idx on sweeps (chain) where delegate_tx_id is not null and undelegate_tx_id is null;`,
    );
    this.addSql(
      `create index sweeps_leftover_idx on sweeps (chain) where kind = 'sweep' and not leftover_checked
       and status in ('completed', 'failed');`,
    );
    this.addSql('alter table house_accounts drop constraint house_accounts_code_check;');
    this.addSql(
      `alter table house_accounts add constraint house_accounts_code_check check (code in ('inflow', 'outflow',
       'capital', 'custody:deposits', 'custody:hot', 'custody:cold', 'custody:staking', 'network_fees'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table house_accounts drop constraint house_accounts_code_check;');
    this.addSql(
      `alter table house_accounts add constraint house_accounts_code_check check (code in ('inflow', 'outflow',
       'capital', 'custody:deposits', 'custody:hot', 'custody:cold', 'network_fees'));`,
    );
    this.addSql('drop index if exists sweeps_reclaim_idx, sweeps_leftover_idx;');
    this.addSql(
      'alter table sweeps drop column delegate_tx_id, drop column undelegate_tx_id, drop column leftover_checked;',
    );
    this.addSql('alter table sweeps drop constraint sweeps_status_check;');
    this.addSql(
      `alter table sweeps add constraint sweeps_status_check
       check (status in ('funding', 'ready', 'signed', 'broadcast', 'confirming', 'completed', 'failed'));`,
    );
    this.addSql('alter table sweeps drop constraint sweeps_kind_check;');
    this.addSql(`alter table sweeps add constraint sweeps_kind_check check (kind in ('sweep', 'cold'));`);
    this.addSql('alter table treasury_transactions drop constraint treasury_transactions_kind_check;');
    this.addSql(
      `alter table treasury_transactions add constraint treasury_transactions_kind_check
       check (kind in ('topup', 'sweep', 'cold'));`,
    );
  }
}
