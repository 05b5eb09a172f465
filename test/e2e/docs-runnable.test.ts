import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropTestDatabase, scratchName, TEST_DB_PREFIX } from '../helpers/db.js';
import { compareOutputs, type DocBlock, docFiles, runnableBlocks } from '../helpers/doc-blocks.js';
import { untilListable } from '../helpers/outbox.js';
import { testPort } from '../helpers/ports.js';
import { ROOT, run, startServer } from '../helpers/process.js';

// Every runnable block of README.md and docs/*.md (```sh runnable, ```js runnable, ```python runnable), run
// as a reader runs them: in order, README first, against a server started on a database that does not exist
// yet, with an empty DATA_DIR. Shell blocks share their variables (BASE, API_KEY, SECRET, MERCHANT … from the
// walk-through) as a terminal would; Node and Python blocks see them in their environment. A block fails the
// test when it exits non-zero or when what it prints differs in shape or value from what it shows
// (test/helpers/doc-blocks.ts). Settings are the shipped defaults but the devnets' block time, as in
// test/e2e/fresh-start.test.ts.

const dbName = scratchName(TEST_DB_PREFIX);
const work = mkdtempSync(join(tmpdir(), 'novapay-docs-'));
const port = testPort();
const STATE = join(work, 'state.sh');
const env = {
  DATABASE_URL: databaseUrl(dbName),
  REDIS_PREFIX: `novapay-docs:${randomBytes(4).toString('hex')}`,
  DATA_DIR: join(work, 'data'),
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  TRON_DEVNET_BLOCK_MS: '200',
  EVM_DEVNET_BLOCK_MS: '200',
  NOVAPAY_URL: `http://127.0.0.1:${port}`,
};
const { Pool } = pg;
let server: Awaited<ReturnType<typeof startServer>>;
const listable = new Pool({ connectionString: databaseUrl('postgres'), max: 1 });
listable.on('error', () => undefined); // an idle client whose backend ended: replaced, not an uncaught error

beforeAll(async () => {
  server = await startServer(env, port, [], 90_000);
}, 100_000);

afterAll(async () => {
  await listable.end();
  server?.child.kill('SIGKILL');
  await dropTestDatabase(dbName);
  rmSync(work, { recursive: true, force: true });
});

/**
 * Runs one block; shell blocks read the shared variables first and write them back after. A block starts once
 * the events list can show every event committed so far: the list waits for every older writing transaction
 * on the PostgreSQL server, and here other test files share that server (a reader's own server has only its
 * own, finished within milliseconds).
 */
async function runBlock(b: DocBlock, n: number) {
  await untilListable(listable);
  const restore = `set -a; [ -f '${STATE}' ] && . '${STATE}'; `;
  let script: string;
  if (b.lang === 'sh') {
    script = `${restore}set -eo pipefail\n${b.code}\nexport -p > '${STATE}'`;
  } else {
    const file = join(work, `block-${n}.${b.lang === 'js' ? 'mjs' : 'py'}`);
    writeFileSync(file, b.code);
    script = `${restore}exec ${b.lang === 'js' ? 'node' : 'python3'} '${file}'`;
  }
  return run('bash', ['-c', script], env, 120_000);
}

const blocks = docFiles(ROOT).flatMap((f) => runnableBlocks(ROOT, f));

describe('the runnable blocks of README.md and docs/*.md', () => {
  it('finds the walk-through and blocks in each language', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(4);
    expect(new Set(blocks.map((b) => b.lang))).toEqual(new Set(['sh', 'js', 'python']));
  });

  it.each(blocks.map((b, n) => [`${b.file}:${b.line} (${b.lang})`, b, n] as const))(
    '%s runs and prints what it shows',
    async (_name, b, n) => {
      const r = await runBlock(b, n);
      const where = `${b.file}:${b.line}`;
      expect(r.code, `${where} exited ${r.code}\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(compareOutputs(b, r.stdout), `${where}\n${r.stderr}`).toEqual([]);
    },
    120_000,
  );

  it('logged nothing at warn level or above while the blocks ran', () => {
    const bad = server
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => {
        try {
          return (JSON.parse(l) as { level: number }).level >= 40;
        } catch {
          return true;
        }
      });
    expect(bad).toEqual([]);
  });
});
