import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually, startReceiver, useReceivers } from '../helpers/receiver.js';
import { payerTransfers, subscribe } from '../helpers/webhook-load.js';

// A dispatcher claims again only while there may be more due (src/modules/webhooks/delivery/dispatcher.ts):
// after a claim that got all it asked for, or one cut short by the room it had. With the poll an hour away,
// a backlog larger than that room must still drain by itself, however the claims split it.
const t = useTestApp(
  {
    webhookConcurrency: 2,
    webhookPerEndpointConcurrency: 1,
    outboxPollMs: 100,
    webhookReconcileMs: 3_600_000,
  },
  { role: 'all' },
);
const receivers = useReceivers();

describe('webhook refills', () => {
  it('drains a backlog bigger than the claim room on three endpoints without the poll', async () => {
    const m = await t.merchant();
    await t.credit(m, 'payer', '1000');
    for (let i = 0; i < 3; i++) {
      const r = await startReceiver();
      r.setResponder(() => 'hang', 15);
      receivers.push(r);
      await subscribe(t, m, r.url);
    }
    const transfers = 25;
    await payerTransfers(t, m, transfers);
    await eventually(() => receivers.every((r) => r.received.length >= transfers), 30_000, 50);
    for (const r of receivers) expect(r.countsById().size).toBe(transfers);
  });
});
