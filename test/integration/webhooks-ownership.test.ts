import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeliveryDispatcher } from '../../src/modules/webhooks/delivery/dispatcher.js';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { anotherDispatcher, payerTransfers, subscribe } from '../helpers/webhook-load.js';

// Two workers dispatch webhooks together (src/modules/webhooks/delivery/ownership.ts): each endpoint is
// owned by one worker at a time, so its concurrency cap holds across workers; the busy endpoints are
// shared between the live workers; every delivery arrives exactly once.
const PER_ENDPOINT = 2;
const t = useTestApp(
  { webhookConcurrency: 8, webhookPerEndpointConcurrency: PER_ENDPOINT, outboxPollMs: 100 },
  { role: 'all' },
);

/** A receiver that answers after `delayMs` and records the most requests it ever had in flight. */
async function slowReceiver(delayMs: number) {
  const s = { inFlight: 0, max: 0, ids: [] as string[] };
  const server: Server = createServer((req, res) => {
    s.inFlight++;
    s.max = Math.max(s.max, s.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      s.ids.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).id);
      setTimeout(() => {
        s.inFlight--;
        res.writeHead(200).end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { s, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A second worker's dispatcher on the same database, with the app's settings. */
function anotherWorker(): DeliveryDispatcher {
  return anotherDispatcher(t, PER_ENDPOINT);
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

/** A merchant with a funded payer and `n` endpoints, each on its own slow receiver. */
async function merchantWithReceivers(n: number, delayMs: number) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '1000');
  const list = await Promise.all(Array.from({ length: n }, () => slowReceiver(delayMs)));
  for (const r of list) {
    closers.push(r.close);
    await subscribe(t, m, r.url);
  }
  return { m, list };
}

describe('webhook dispatch across workers', () => {
  it('keeps each endpoint’s cap across two workers, shares the endpoints, and delivers each once', async () => {
    const first = t.app.workers!.webhooks.dispatcher;
    const second = anotherWorker();
    await second.start();
    closers.push(() => second.stop());
    const receivers = await merchantWithReceivers(4, 30);
    const before = { first: first.stats.sent, second: second.stats.sent };
    const transfers = 30;
    await payerTransfers(t, receivers.m, transfers);
    await eventually(() => receivers.list.every((r) => r.s.ids.length >= transfers), 30_000, 50);
    for (const r of receivers.list) {
      expect(r.s.ids.length).toBe(transfers); // none twice
      expect(r.s.max).toBeLessThanOrEqual(PER_ENDPOINT);
    }
    const sent = () => [first.stats.sent - before.first, second.stats.sent - before.second];
    await eventually(() => sent()[0]! + sent()[1]! === 4 * transfers, 10_000, 20); // the last answers are back
    expect(sent()[0]).toBeGreaterThan(0);
    expect(sent()[1]).toBeGreaterThan(0);
    const owners = await t.app.pool.query(
      `select count(*)::int as n from webhook_workers where seen_until > now()`,
    );
    expect(owners.rows[0].n).toBe(2);
  });

  it('hands a worker that joins during a backlog its share, each endpoint still capped and delivered once', async () => {
    const { m, list: receivers } = await merchantWithReceivers(6, 60);
    const transfers = 30;
    await payerTransfers(t, m, transfers);
    // The two workers already running own three endpoints each; a third joins while the backlog drains, and
    // each of them gives it one (a share of two).
    await eventually(() => receivers.every((r) => r.s.ids.length > 0), 10_000, 20);
    const late = anotherWorker();
    await late.start();
    closers.push(() => late.stop());
    await eventually(() => receivers.every((r) => r.s.ids.length >= transfers), 30_000, 50);
    await eventually(() => late.stats.sent > 0, 10_000, 50);
    for (const r of receivers) {
      expect(new Set(r.s.ids).size).toBe(transfers);
      expect(r.s.ids.length).toBe(transfers);
      expect(r.s.max).toBeLessThanOrEqual(PER_ENDPOINT);
    }
  });
});
