import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, type Role } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';

// Which processes hold the deposit addresses' keys: with SIGNER_ROLE=worker every worker (and `all`) does, the
// API never; with SIGNER_ROLE=signer only `--role signer` does, and it runs nothing else of the workers.

let dbName = '';
const apps: App[] = [];
beforeAll(async () => {
  dbName = await createTestDatabase();
});
afterAll(async () => {
  for (const a of apps) await a.stop();
  if (dbName) await dropTestDatabase(dbName);
});

async function start(role: Role, signerRole: 'worker' | 'signer') {
  const base = loadConfig();
  const app = await createApp({
    migrate: false,
    role,
    config: {
      databaseUrl: databaseUrl(dbName),
      redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
      logLevel: 'silent',
      dbPoolSize: 4,
      tron: { ...base.tron, devnet: 'off' },
      evm: { ...base.evm, devnet: 'off' },
      treasury: { ...base.treasury, signerRole },
    },
  });
  apps.push(app);
  return app;
}

describe('signer role', () => {
  it('the API never opens the keys; workers do with SIGNER_ROLE=worker, only signers with SIGNER_ROLE=signer', async () => {
    expect((await start('api', 'worker')).signer).toBeNull();
    expect((await start('api', 'signer')).signer).toBeNull();
    const worker = await start('worker', 'worker');
    expect(worker.signer?.keys.families().sort()).toEqual(['evm', 'tron']);
    const plainWorker = await start('worker', 'signer');
    expect(plainWorker.signer).toBeNull();
    expect(plainWorker.workers).not.toBeNull();
    const signer = await start('signer', 'signer');
    expect(signer.workers).toBeNull();
    expect(signer.fanout).toBeNull();
    // Its keys are the private half of the addresses the API hands out, index for index.
    const api = apps[0]!;
    for (const i of [0, 5, 123_456]) {
      expect(signer.signer!.keys.address('evm', i)).toBe(api.chains.hd.derive('evm', i));
      expect(signer.signer!.keys.address('tron', i)).toBe(api.chains.hd.derive('tron', i));
    }
    await expect(start('signer', 'worker')).rejects.toThrow(/--role signer needs SIGNER_ROLE=signer/);
  });
});
