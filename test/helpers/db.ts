import { randomBytes } from 'node:crypto';
import pg from 'pg';

// Each test file gets its own database, cloned from a migrated template (fast: a file copy, no migrations).

/**
 * The server the tests use: TEST_DATABASE_URL, else the local default. When nothing answers there,
 * global-setup.ts starts an embedded PostgreSQL and names it in TEST_DATABASE_URL for the test workers.
 */
export function baseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
}
/**
 * Each run builds its own migrated template (so two runs on one PostgreSQL never rebuild a template the
 * other is cloning); global-setup.ts names it in NOVAPAY_TEST_TEMPLATE for the test workers.
 */
export const TEMPLATE_PREFIX = 'novapay_tpl_';
export function templateDb(): string {
  const name = process.env.NOVAPAY_TEST_TEMPLATE;
  if (!name) throw new Error('NOVAPAY_TEST_TEMPLATE is not set: run the tests through vitest (global setup)');
  return name;
}
export const TEST_DB_PREFIX = 'novapay_t_';

export function databaseUrl(name: string): string {
  const u = new URL(baseUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: baseUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `<prefix><unix seconds>_<random>`: the creation time is in the name, so clean-up can tell stale ones. */
export function scratchName(prefix: string): string {
  return `${prefix}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** Seconds since a scratch database was created, from its name (null when the name has no time). */
export function scratchAgeSeconds(name: string, prefix: string): number | null {
  const m = new RegExp(`^${prefix}(\\d{10})_`).exec(name);
  return m ? Math.floor(Date.now() / 1000) - Number(m[1]) : null;
}

export async function createTestDatabase(): Promise<string> {
  const name = scratchName(TEST_DB_PREFIX);
  // Cloning needs the template to have no other sessions; retry briefly if one is closing.
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((c) => c.query(`create database "${name}" template "${templateDb()}"`));
      return name;
    } catch (err) {
      if (attempt >= 20 || (err as { code?: string }).code !== '55006') throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`));
}

/**
 * Closes a test's database to new connections and ends its backends, as a failover does (open: false), once
 * the app's pool (`pool`) has dropped every connection it held; or opens it again (open: true).
 */
export async function setDatabaseOpen(
  admin: pg.Client,
  name: string,
  pool: { totalCount: number },
  open: boolean,
): Promise<void> {
  await admin.query(`alter database "${name}" allow_connections ${open}`);
  if (open) return;
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  // The app's pools drop the connections they held once their backends are gone; the next query connects.
  for (;;) {
    const left = await admin.query('select 1 from pg_stat_activity where datname = $1', [name]);
    if (left.rowCount === 0 && pool.totalCount === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
}
