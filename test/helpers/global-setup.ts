import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/db/mikro-orm.config.js';
import { databaseUrl, TEMPLATE_DB, TEST_DB_PREFIX, withAdmin } from './db.js';

// Once per run: drop databases left by earlier runs, and build the migrated template every file clones.
export default async function setup(): Promise<void> {
  await withAdmin(async (c) => {
    const old = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`${TEST_DB_PREFIX}%`, TEMPLATE_DB],
    );
    for (const { datname } of old.rows) await c.query(`drop database if exists "${datname}" with (force)`);
    await c.query(`create database "${TEMPLATE_DB}"`);
  });
  const orm = await MikroORM.init(ormOptions(databaseUrl(TEMPLATE_DB), 2, () => undefined));
  await orm.getMigrator().up();
  await orm.close(true);
}
