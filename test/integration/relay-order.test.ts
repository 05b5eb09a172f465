import { describe, expect, it } from 'vitest';
import { OutboxRelay, type PubSub } from '../../src/modules/events/index.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';
import { eventually } from '../helpers/receiver.js';

// Several workers run an outbox relay each (docs/deployment.md: `--scale worker=3`). Each pass claimed the
// oldest unpublished events with SKIP LOCKED and published them, so while one relay's pass was between its
// claim and its publish, another claimed the next events and published them first: a user's balances and
// history rows and a stream's donations reached subscribers out of order, and `balanceUpdated` (latest wins)
// ended on an older balance than the ledger's. Measured against a real server with two workers: 63 of 192
// donations out of place, and the wallet's last balance 1.91 where the ledger said 1.92.

const t = useTestApp({}, { role: 'api' }); // no relay of its own: the test runs two

const SQL_LOCK_WAITERS = `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;

describe('two outbox relays', () => {
  it("publish one user's balances in the ledger's order while a pass of one is slow", async () => {
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: m.mode };
    for (const amount of ['1', '2', '3'])
      await t.app.services.ledger.adjust(tenant, {
        userId: 'fan',
        amount,
        direction: 'credit',
        reason: 'order',
        actor: 'test',
      });
    const published: string[] = [];
    const pubsub = {
      publish: (topic: string, _key: string, payload: { balance?: string }) => {
        if (topic === 'balance') published.push(payload.balance!);
      },
    } as unknown as PubSub;
    let slowPasses = 1;
    let aClaimed = false;
    let bPublished = false;
    const relay = (fanOut: () => Promise<void>) =>
      new OutboxRelay({
        pool: t.app.pool,
        databaseUrl: t.app.config.databaseUrl,
        pubsub,
        fanOut,
        log: capturedLog().log,
        batchSize: 1,
        pollMs: 60_000,
        coalesceMs: 0,
      });
    // A's first pass is slow between its claim and its publish: it waits until B has published, or B waits for it.
    const a = relay(async () => {
      if (slowPasses-- <= 0) return;
      aClaimed = true;
      await eventually(
        async () => bPublished || (await t.app.pool.query<{ n: number }>(SQL_LOCK_WAITERS)).rows[0]!.n > 0,
        10_000,
        10,
      );
    });
    const b = relay(async () => undefined);
    const first = a.publishBatch();
    await eventually(() => aClaimed);
    while ((await b.publishBatch()) > 0) bPublished = true;
    await first;
    while ((await a.publishBatch()) > 0) {}
    expect(published).toEqual(['1.00', '3.00', '6.00']);
  });
});
