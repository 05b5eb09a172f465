import { Migration } from '@mikro-orm/migrations';

// Ops' requests to sweep one address now (`sweepAddress`), kept until a sweep pass serves them: a request
// accepted just before ops paused the network, or whose job Redis lost, is served by the first pass that runs
// unpaused, instead of being dropped with its job.
export class Migration20261206500000_sweep_requests extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sweep_requests (
        id bigserial primary key,
        chain text not null,
        address text not null,
        requested_by text not null,
        job_id text not null,
        requested_at timestamptz not null default now(),
        served_at timestamptz,
        outcome text
      );`);
    this.addSql(
      'create unique index sweep_requests_pending on sweep_requests (chain, address) where served_at is null;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sweep_requests;');
  }
}
