import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// Four delivery slots, at most two per endpoint: a slow receiver cannot starve a fast one.
const t = useTestApp(
  { webhookConcurrency: 4, webhookPerEndpointConcurrency: 2, outboxPollMs: 100, webhookTimeoutMs: 5000 },
  { role: 'all' },
);
const receivers = useReceivers();

async function setup(respond: () => number | 'hang', hangMs: number) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '1000');
  const r = await startReceiver();
  receivers.push(r);
  r.setResponder(respond, hangMs);
  await subscribe(t, m, r.url);
  return { m, r };
}

describe('per-endpoint fairness', () => {
  it('a slow receiver does not delay deliveries to another endpoint', async () => {
    const slow = await setup(() => 'hang', 400);
    const fast = await setup(() => 200, 0);
    await payerTransfers(t, slow.m, 30); // 30 × 400 ms on two slots: about 6 s of work
    await eventually(() => slow.r.received.length >= 2, 10_000, 20);
    const started = Date.now();
    await payerTransfers(t, fast.m, 5);
    await eventually(() => fast.r.received.length === 5, 10_000, 20);
    const fastDone = Date.now() - started;
    expect(fastDone).toBeLessThan(2000);
    expect(slow.r.received.length).toBeLessThan(25); // the slow endpoint was still backed up
    await eventually(() => slow.r.received.length === 30, 20_000, 100);
  });
});
