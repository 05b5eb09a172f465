import { describe, expect, it } from 'vitest';
import { WEBHOOKS_CHANNEL } from '../../src/modules/webhooks/service.js';
import { useTestApp } from '../helpers/app.js';
import { eventually, useReceivers } from '../helpers/receiver.js';
import { fourInFlightThreeQueued } from '../helpers/webhook-load.js';

// The deliveries a worker has queued for an endpoint (claimed while it was enabled) are failed unsent when the
// endpoint is disabled: the disable's NOTIFY (`closed:<id>`) tells the worker. A NOTIFY sent while the
// worker's LISTEN connection is away is lost, and the reconnect wakes the worker with no payload: it only
// claimed, found nothing of the endpoint left to claim, and sent the queued ones to the disabled endpoint as
// its slots freed up. Back from a gap, the worker now looks again at every endpoint it has deliveries queued for.

const t = useTestApp(
  { webhookPerEndpointConcurrency: 4, outboxPollMs: 100, webhookReconcileMs: 200 },
  { role: 'all' },
);
const receivers = useReceivers();

/** The backends listening on the webhooks channel (the worker's dispatcher). */
async function listeners(): Promise<number[]> {
  const r = await t.app.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and query = $1`,
    [`listen "${WEBHOOKS_CHANNEL}"`],
  );
  return r.rows.map((x) => x.pid);
}

describe('an endpoint disabled while the worker is not listening', () => {
  it('has the deliveries queued for it failed unsent once the worker listens again', async () => {
    // Four in flight (the endpoint's cap), unanswered; the other three claimed by the worker, queued.
    const { m, endpointId, queuedFailUnsent } = await fourInFlightThreeQueued(t, receivers);

    // The worker's LISTEN connection is cut; the endpoint is disabled before it listens again.
    const before = await listeners();
    expect(before).toHaveLength(1);
    await t.app.pool.query('select pg_terminate_backend($1)', [before[0]]);
    await eventually(async () => (await listeners()).length === 0);
    await t.app.services.webhooks.update({ merchantId: m.merchantId, mode: 'test' }, endpointId, {
      enabled: false,
    });
    expect(await listeners()).toEqual([]); // its NOTIFY reached nobody
    await eventually(async () => (await listeners()).length === 1);

    await queuedFailUnsent();
  });
});
