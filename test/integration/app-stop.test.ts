import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/receiver.js';

// A stopped app leaves nothing open behind it: every Redis connection it made (its own, BullMQ's
// duplicates, the queue-events listener) is closed, so a process that stops its app exits on its own.
// Connections carry the REDIS_PREFIX as their name, which is how this test (and ops) tells them apart.

let dbName: string;
const admin = new Redis(loadConfig().redisUrl, { maxRetriesPerRequest: 1 });

async function connectionsNamed(name: string): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

beforeAll(async () => {
  dbName = await createTestDatabase();
});

afterAll(async () => {
  admin.disconnect();
  await dropTestDatabase(dbName);
});

describe('app.stop()', () => {
  for (const role of ['all', 'worker', 'api', 'signer'] as const) {
    it(`closes every Redis connection of role ${role}`, async () => {
      const prefix = `novapay-test:stop-${randomBytes(4).toString('hex')}`;
      const app = await createApp({
        migrate: false,
        role,
        config: {
          databaseUrl: databaseUrl(dbName),
          redisPrefix: prefix,
          logLevel: 'silent',
          tron: { ...loadConfig().tron, devnet: 'off' },
          evm: { ...loadConfig().evm, devnet: 'off' },
          treasury: { ...loadConfig().treasury, signerRole: role === 'signer' ? 'signer' : 'worker' },
        },
      });
      const open = await connectionsNamed(prefix);
      await app.stop();
      expect(open).toBeGreaterThanOrEqual(3);
      expect(await eventually(async () => (await connectionsNamed(prefix)) === 0, 10_000)).toBe(true);
    });
  }
});
