import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { createTestDatabase, dropTestDatabase } from '../helpers/db.js';
import { injectTransfer } from '../helpers/inject.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.js';

// The connection of a ledger batch is cut right after its write and COMMIT reached PostgreSQL, before either
// answer came back (test/helpers/pg-proxy.ts): PostgreSQL commits, the app hears its connection end. A 200 must
// then be a committed transfer, any other answer must hide no committed one, and nothing may be posted twice:
// transfers without an idempotency key included, which the engine used to post again when it split a failed
// batch (review finding: the write's lost answer was taken for a failure even when the lookup found the batch).

let dbName = '';
let proxy: PgProxy;
let app: App;
let key: { apiKey: string; apiSecret: string };
let merchantId = '';

/** An API process whose PostgreSQL connections go through the proxy. */
function appThroughProxy(config: { dbPoolSize?: number; ledgerMaxInFlight?: number } = {}): Promise<App> {
  return createApp({
    migrate: false,
    role: 'api',
    config: {
      databaseUrl: proxy.url(dbName),
      redisPrefix: `novapay-test:${randomBytes(4).toString('hex')}`,
      logLevel: 'silent',
      ...config,
    },
  });
}

beforeAll(async () => {
  dbName = await createTestDatabase();
  proxy = await startPgProxy();
  app = await appThroughProxy();
  const m = await app.services.merchants.createMerchant('Lost answers');
  merchantId = m.id;
  key = await app.services.merchants.createKey(m.id, 'test', { rateLimitPerSecond: 100_000 });
  for (let i = 0; i < 8; i++)
    await app.services.ledger.adjust(
      { merchantId: m.id, mode: 'test' },
      { userId: `payer${i}`, amount: '1000', direction: 'credit', reason: 'fund', actor: 'test' },
    );
});
afterAll(async () => {
  await app?.stop();
  await proxy?.close();
  if (dbName) await dropTestDatabase(dbName);
});

/** An unkeyed transfer (no Idempotency-Key): posted twice, it would move the money twice. */
async function transfer(i: number, description: string) {
  const body = { fromUserId: `payer${i % 8}`, toUserId: `payee${i % 3}`, amount: 1, description };
  const res = await injectTransfer(app, key, body);
  return { status: res.statusCode, id: res.statusCode === 200 ? (res.json().id as string) : null };
}

async function postedTimes(descriptions: string[]): Promise<Map<string, number>> {
  const r = await app.pool.query<{ description: string; n: number }>(
    `select description, count(*)::int as n from ledger_transactions
     where merchant_id = $1 and description = any($2::text[]) group by description`,
    [merchantId, descriptions],
  );
  return new Map(r.rows.map((x) => [x.description, x.n]));
}

describe('a ledger batch whose answers are lost after PostgreSQL committed it', () => {
  it('answers 200 for the transfer, which is there once', async () => {
    proxy.cutAfterCommit();
    const r = await transfer(0, 'lost-answer single');
    expect(proxy.cuts).toBe(1);
    expect(r.status).toBe(200);
    expect(await postedTimes(['lost-answer single'])).toEqual(new Map([['lost-answer single', 1]]));
    await checkLedgerInvariants(app.pool, { merchantId, acknowledged: [r.id!] });
  });

  it('posts nothing twice when batches of unkeyed transfers lose their answers', async () => {
    const descriptions = Array.from({ length: 60 }, (_, i) => `lost-answer batch ${i}`);
    const before = proxy.cuts;
    proxy.cutAfterCommit(4);
    const results = await Promise.all(descriptions.map((d, i) => transfer(i, d)));
    expect(proxy.cuts).toBeGreaterThan(before);
    const times = await postedTimes(descriptions);
    descriptions.forEach((d, i) => {
      // A 200 is there exactly once; any other answer is not there at all; and nothing is there twice.
      expect(times.get(d) ?? 0, `${d}: HTTP ${results[i]!.status}`).toBe(results[i]!.status === 200 ? 1 : 0);
      expect([200, 500, 503], d).toContain(results[i]!.status);
    });
    await checkLedgerInvariants(app.pool, {
      merchantId,
      acknowledged: results.flatMap((r) => (r.id ? [r.id] : [])),
    });
  });

  it('finds the fate of a lost answer even when the pool has no other connection to ask with', async () => {
    // One connection, one batch in flight: the broken client is still checked out while the engine asks.
    const small = await appThroughProxy({ dbPoolSize: 1, ledgerMaxInFlight: 1 });
    try {
      proxy.cutAfterCommit();
      const res = await injectTransfer(small, key, {
        fromUserId: 'payer0',
        toUserId: 'payee0',
        amount: 1,
        description: 'lost-answer small pool',
      });
      expect(res.statusCode).toBe(200);
      expect(await postedTimes(['lost-answer small pool'])).toEqual(new Map([['lost-answer small pool', 1]]));
    } finally {
      await small.stop();
    }
  });
});
