import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/db/mikro-orm.config.js';
import { answers } from '../../src/dev/embedded.js';
import {
  baseUrl,
  databaseUrl,
  scratchAgeSeconds,
  scratchName,
  TEMPLATE_PREFIX,
  TEST_DB_PREFIX,
  withAdmin,
} from './db.js';
import { startTestPostgres } from './embedded-db.js';

const STALE_AFTER_SECONDS = 2 * 3600;

// Once per run: build this run's migrated template, which every test file clones, and drop databases that
// earlier runs left behind. Databases still in use (another run on the same server) are left alone: a
// plain DROP refuses them, where a forced one would pull them from under that run.
//
// When no PostgreSQL answers at TEST_DATABASE_URL (or the local default), the run starts an embedded one
// (test/helpers/embedded-db.ts) and names it in TEST_DATABASE_URL for the test files; it is stopped and
// its folder deleted at the end.
export default async function setup(): Promise<() => Promise<void>> {
  let embedded: Awaited<ReturnType<typeof startTestPostgres>> | null = null;
  if (!(await answers(baseUrl()))) {
    embedded = await startTestPostgres(baseUrl());
    console.warn(
      `no PostgreSQL answers at ${baseUrl()}: the tests use an embedded PostgreSQL ${embedded.major} at ${embedded.url}`,
    );
    process.env.TEST_DATABASE_URL = embedded.url;
  }
  const template = scratchName(TEMPLATE_PREFIX);
  process.env.NOVAPAY_TEST_TEMPLATE = template;
  await withAdmin(async (c) => {
    const old = await c.query<{ datname: string }>(
      `select datname from pg_database d where (datname like $1 or datname like $2 or datname = 'novapay_test_template')
         and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`,
      [`${TEST_DB_PREFIX}%`, `${TEMPLATE_PREFIX}%`],
    );
    for (const { datname } of old.rows) {
      // Only what is older than any run could last: a concurrent run's databases are young.
      const age = scratchAgeSeconds(
        datname,
        datname.startsWith(TEMPLATE_PREFIX) ? TEMPLATE_PREFIX : TEST_DB_PREFIX,
      );
      if (age !== null && age < STALE_AFTER_SECONDS) continue;
      await c.query(`drop database if exists "${datname}"`).catch(() => undefined);
    }
    await c.query(`create database "${template}"`);
  });
  const orm = await MikroORM.init(ormOptions(databaseUrl(template), 2, () => undefined));
  await orm.getMigrator().up();
  await orm.close(true);
  return async () => {
    await withAdmin((c) => c.query(`drop database if exists "${template}" with (force)`)).catch(
      () => undefined,
    );
    await embedded?.close();
  };
}
