import { randomBytes } from 'node:crypto';
import pg from 'pg';

// Each test file gets its own database, cloned from a migrated template (fast: a file copy, no migrations).

export const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
export const TEMPLATE_DB = 'novapay_test_template';
export const TEST_DB_PREFIX = 'novapay_t_';

export function databaseUrl(name: string): string {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(): Promise<string> {
  const name = `${TEST_DB_PREFIX}${randomBytes(6).toString('hex')}`;
  // Cloning needs the template to have no other sessions; retry briefly if one is closing.
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((c) => c.query(`create database "${name}" template "${TEMPLATE_DB}"`));
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
