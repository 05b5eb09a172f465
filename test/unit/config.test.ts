import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ENV_KEYS, loadConfig } from '../../src/config.js';
import { logCreatedFiles } from '../../src/lib/created-files.js';
import { createLogger } from '../../src/lib/logger.js';

// loadConfig notes the master keys it creates for the app's first log lines; no app logs them here, and test
// files share their process: forget them, or the next app started in this process logs them as its own.
afterEach(() => logCreatedFiles(createLogger('silent')));

describe('config', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'novapay-cfg-'));

  it('applies the documented defaults', () => {
    const c = loadConfig({ DATA_DIR: dataDir() });
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBe('postgres://root@127.0.0.1:5432/novapay');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.bodyLimitBytes).toBe(65536);
  });

  it('generates a development master key once and keeps it in DATA_DIR', () => {
    const dir = dataDir();
    const a = loadConfig({ DATA_DIR: dir });
    const b = loadConfig({ DATA_DIR: dir });
    expect(a.masterKey.equals(b.masterKey)).toBe(true);
    expect(readFileSync(join(dir, 'master.key'), 'utf8').trim()).toBe(a.masterKey.toString('hex'));
  });

  it('documents every variable in .env.example (with its default) and in docs/configuration.md', () => {
    const root = new URL('../../', import.meta.url);
    const example = readFileSync(new URL('.env.example', root), 'utf8');
    const set: Record<string, string> = {};
    const mentioned = new Set<string>();
    for (const line of example.split('\n')) {
      const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (!m) continue;
      mentioned.add(m[2]!);
      if (!m[1]) set[m[2]!] = m[3]!;
    }
    expect(ENV_KEYS.filter((k) => !mentioned.has(k))).toEqual([]);
    expect([...mentioned].filter((k) => !(ENV_KEYS as string[]).includes(k))).toEqual([]);
    // The values written there are the defaults: loading them changes nothing.
    const dir = dataDir();
    expect(loadConfig({ ...set, DATA_DIR: dir })).toEqual(loadConfig({ DATA_DIR: dir }));
    const table = readFileSync(new URL('docs/configuration.md', root), 'utf8');
    expect(ENV_KEYS.filter((k) => !table.includes(`| \`${k}\``))).toEqual([]);
  });

  it('fails with one clear line on invalid values, and requires MASTER_KEY in production', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^invalid configuration: PORT: /);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ URL/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MASTER_KEY is required/);
    expect(() => loadConfig({ MASTER_KEY: 'abc' })).toThrow(/MASTER_KEY: must be 64 hex/);
    const prod = loadConfig({ NODE_ENV: 'production', MASTER_KEY: 'ab'.repeat(32) });
    expect(prod.isProduction).toBe(true);
  });
});
