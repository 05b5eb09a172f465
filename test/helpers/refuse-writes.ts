import type { Pool } from '../../src/db/database.js';

// PostgreSQL's own refusal standing in for a failure in the middle of a change (PostgreSQL gone for a moment,
// a constraint): a trigger `test_refuse` that raises 'refused by the test' on the rows `when` selects.

/** Makes PostgreSQL refuse inserts and updates of `table`'s rows that `when` (SQL over `new`) selects. */
export async function refuseWrites(pool: Pool, table: string, when = 'true'): Promise<void> {
  await pool.query(`
    create or replace function test_refuse() returns trigger language plpgsql as $$
    begin raise exception 'refused by the test'; end $$`);
  await pool.query(
    `create trigger test_refuse before insert or update on ${table} for each row when (${when}) execute function test_refuse()`,
  );
}

/** Takes refuseWrites' trigger off each table again (none there: nothing to do). */
export async function stopRefusing(pool: Pool, ...tables: string[]): Promise<void> {
  for (const table of tables) await pool.query(`drop trigger if exists test_refuse on ${table}`);
}
