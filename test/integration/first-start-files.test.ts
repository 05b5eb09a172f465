import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';

// README: the first start writes DATA_DIR/master.key (and hd-mnemonic.txt), "keep that file". The start says
// so, one info line naming each file it created, and never the secret; a later start, which reads them, is
// quiet about them.

const dataDir = mkdtempSync(join(tmpdir(), 'novapay-first-start-'));
const dbs: string[] = [];
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  for (const db of dbs) await dropTestDatabase(db);
});

async function start(): Promise<{ files: string[]; text: string }> {
  const lines: string[] = [];
  const sink = { write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) };
  const saved = process.env.DATA_DIR;
  process.env.DATA_DIR = dataDir; // loadConfig() reads it: where the master key is made
  try {
    const db = await createTestDatabase();
    dbs.push(db);
    const app = await createApp({
      migrate: false,
      role: 'api',
      logger: createLogger('info', sink),
      config: {
        databaseUrl: databaseUrl(db),
        redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
        logLevel: 'info',
        dataDir,
        dbPoolSize: 2,
        tron: { ...loadConfig().tron, devnet: 'off' },
        evm: { ...loadConfig().evm, devnet: 'off' },
      },
    });
    await app.stop();
  } finally {
    if (saved === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = saved;
  }
  const created = lines.map((l) => JSON.parse(l)).filter((l) => /^created /.test(l.msg));
  return { files: created.map((l) => l.file), text: lines.join('\n') };
}

describe('the first start', () => {
  it('logs each development secret file it creates, by name only, and only when it creates it', async () => {
    const first = await start();
    const key = join(dataDir, 'master.key');
    const mnemonic = join(dataDir, 'hd-mnemonic.txt');
    expect(first.files.sort()).toEqual([mnemonic, key].sort());
    // The contents reach no line.
    for (const file of [key, mnemonic]) expect(first.text).not.toContain(readFileSync(file, 'utf8').trim());
    expect((await start()).files).toEqual([]);
  });
});
