import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { answers, choose, EmbeddedError } from '../../src/dev/embedded.js';

// When `npm start` falls back to the embedded PostgreSQL and Redis (src/dev/embedded.ts).

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const base = { isProduction: false, what: 'PostgreSQL', envName: 'DATABASE_URL' } as const;

describe('embedded fallback', () => {
  it('probes with a TCP connect', async () => {
    expect(await answers('postgres://root@127.0.0.1:5432/postgres')).toBe(true);
    expect(await answers('redis://127.0.0.1:6379')).toBe(true);
    expect(await answers(`postgres://root@127.0.0.1:${await closedPort()}/x`)).toBe(false);
    expect(await answers('not a url')).toBe(false);
  });

  it('falls back only when the URL was not set and nothing answers at the default', async () => {
    const dead = `postgres://root@127.0.0.1:${await closedPort()}/novapay`;
    expect(await choose({ ...base, mode: 'auto', explicit: false, url: dead })).toBe('embedded');
    expect(await choose({ ...base, mode: 'auto', explicit: true, url: dead })).toBe('configured');
    expect(
      await choose({ ...base, mode: 'auto', explicit: false, url: 'postgres://root@127.0.0.1:5432/novapay' }),
    ).toBe('configured');
    expect(await choose({ ...base, mode: 'off', explicit: false, url: dead })).toBe('configured');
    expect(
      await choose({ ...base, mode: 'always', explicit: true, url: 'postgres://root@127.0.0.1:5432/x' }),
    ).toBe('embedded');
  });

  it('never falls back in production, and says what to set', async () => {
    const dead = `redis://127.0.0.1:${await closedPort()}`;
    const prod = { isProduction: true, what: 'Redis', envName: 'REDIS_URL' } as const;
    await expect(choose({ ...prod, mode: 'auto', explicit: false, url: dead })).rejects.toThrow(
      new EmbeddedError(
        `Redis does not answer at ${dead}, and NODE_ENV=production never falls back to an embedded Redis: set REDIS_URL`,
      ),
    );
    await expect(choose({ ...prod, mode: 'always', explicit: false, url: dead })).rejects.toThrow(
      /EMBEDDED=always is refused when NODE_ENV=production/,
    );
    expect(await choose({ ...prod, mode: 'auto', explicit: true, url: dead })).toBe('configured');
  });

  it('knows whether DATABASE_URL and REDIS_URL were set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novapay-embedded-'));
    const unset = loadConfig({ DATA_DIR: dir });
    expect([unset.embedded, unset.databaseUrlSet, unset.redisUrlSet]).toEqual(['auto', false, false]);
    const set = loadConfig({
      DATA_DIR: dir,
      DATABASE_URL: 'postgres://root@127.0.0.1:5432/novapay',
      REDIS_URL: 'redis://127.0.0.1:6379',
      EMBEDDED: 'off',
    });
    expect([set.embedded, set.databaseUrlSet, set.redisUrlSet]).toEqual(['off', true, true]);
    expect(() => loadConfig({ EMBEDDED: 'sometimes' })).toThrow(/EMBEDDED/);
  });
});
