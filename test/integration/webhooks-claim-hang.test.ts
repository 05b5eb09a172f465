import { afterAll, beforeAll, describe, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { anotherDispatcher, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A worker claims its endpoints' deliveries on a connection of its own. When PostgreSQL went silent in the
// middle of a claim (a host lost, a network cut: no answer, no reset), the claim was waited for as long as
// the kernel kept the socket, every wake-up of the worker queued behind it, and meanwhile its heartbeat and
// its endpoints' ownership went on being renewed on its other connections: the endpoints it owned got nothing,
// and no other worker could take them. A claim unanswered for a lease (WORKER_LOCK_MS) now fails, its
// connection is dropped, and the next wake-up claims on a new one.

const LEASE_MS = 2000;
const t = useTestApp({ workerLockMs: LEASE_MS, webhookReconcileMs: 200, outboxPollMs: 100 }, { role: 'all' });
const receivers = useReceivers();
let proxy: PgProxy;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  proxy = await startPgProxy();
});
afterAll(async () => {
  await proxy?.close(); // ends a claim still waiting, so the worker can stop
  for (const stop of stops) await stop();
});

describe('a worker whose claim the database never answers', () => {
  it('gives the claim up after a lease and sends what its endpoints are owed', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    // A second worker, whose claims go through the proxy; the app's own worker shares the endpoints with it.
    const db = new URL(t.app.config.databaseUrl).pathname.slice(1);
    const second = anotherDispatcher(t, 4, { databaseUrl: proxy.url(db) });
    await second.start();
    stops.push(() => second.stop());
    const rs = await Promise.all([0, 1, 2, 3].map(() => startReceiver()));
    receivers.push(...rs);
    for (const r of rs) await subscribe(t, m, r.url);

    // Its first claim reaches PostgreSQL, and nothing comes back.
    proxy.freezeOn('webhook_claim');
    await payerTransfers(t, m, 3);
    await eventually(() => proxy.frozen === 1);

    // Every endpoint gets every event, those the second worker owns included.
    await eventually(() => rs.every((r) => new Set(r.received.map((x) => x.json.id)).size === 3), 30_000);
  });
});
