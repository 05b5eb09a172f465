import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// claimWithin reads a key's record in the statement after the one that took its lock, so that it sees a batch
// that committed in between (test/integration/idempotency-claim-race.test.ts). That holds under READ
// COMMITTED only: under REPEATABLE READ (a role's or database's default_transaction_isolation, here given
// through PGOPTIONS) the read used the transaction's first snapshot, and that race test found 7 double wins
// in 400. The app's connections are READ COMMITTED whatever the default.
const before = process.env.PGOPTIONS;
process.env.PGOPTIONS =
  '-c default_transaction_isolation=repeatable\\ read -c application_name=isolation-test';
afterAll(() => {
  if (before === undefined) delete process.env.PGOPTIONS;
  else process.env.PGOPTIONS = before;
});
const t = useTestApp();

describe('the ledger pool under a REPEATABLE READ default', () => {
  it('runs its transactions READ COMMITTED, and keeps the rest of PGOPTIONS', async () => {
    const client = await t.app.pool.connect();
    try {
      await client.query('begin');
      const r = await client.query<{ iso: string; app: string }>(
        `select current_setting('transaction_isolation') as iso, current_setting('application_name') as app`,
      );
      await client.query('rollback');
      expect(r.rows[0]).toEqual({ iso: 'read committed', app: 'isolation-test' });
    } finally {
      client.release();
    }
  });
});
