import { expect } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { DeliveryDispatcher } from '../../src/modules/webhooks/delivery/dispatcher.js';
import type { DispatcherConfig } from '../../src/modules/webhooks/delivery/dispatcher-config.js';
import type { TestContext, TestMerchant } from './app.js';
import { startReceiver } from './receiver.js';

// The load the webhook tests share: an endpoint subscribed for a merchant (or a failing one, to be backed
// off), and transfers of 1 Star from the merchant's funded `payer`, one after another, each answered 200.

export async function subscribe(t: TestContext, m: TestMerchant, url: string): Promise<void> {
  await t.app.services.webhooks.create({ merchantId: m.merchantId, mode: 'test' }, { url });
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/**
 * An endpoint subscribed for `m` whose receiver answers 500 to every delivery (until the test sets another
 * responder), and the endpoint's id. The receiver goes into `receivers`, for the test file to close.
 */
export async function failingEndpoint(
  t: TestContext,
  m: TestMerchant,
  receivers: Receiver[],
): Promise<{ failing: Receiver; id: string }> {
  const failing = await startReceiver();
  receivers.push(failing);
  failing.setResponder(() => 500);
  await subscribe(t, m, failing.url);
  const id = (
    await t.app.pool.query<{ id: string }>('select id from webhook_endpoints where url = $1', [failing.url])
  ).rows[0]!.id;
  return { failing, id };
}

export async function payerTransfers(t: TestContext, m: TestMerchant, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await t.request({
      url: '/api/v1/transfer',
      as: m,
      body: { fromUserId: 'payer', toUserId: 'payee', amount: 1 },
    });
    expect(res.status).toBe(200);
  }
}

/** Another worker's dispatcher on the test app's database, with the app's settings and `perEndpoint`. */
export function anotherDispatcher(
  t: TestContext,
  perEndpoint: number,
  extra: Partial<DispatcherConfig> = {},
): DeliveryDispatcher {
  const c = t.app.config;
  return new DeliveryDispatcher(
    t.app.pool,
    t.app.services.webhooks,
    {
      databaseUrl: c.databaseUrl,
      concurrency: c.webhookConcurrency,
      perEndpoint,
      timeoutMs: c.webhookTimeoutMs,
      retryScheduleMs: c.webhookRetryScheduleMs,
      disableAfterMs: c.webhookDisableAfterMs,
      leaseMs: c.workerLockMs,
      pollMs: c.webhookReconcileMs,
      failingProbeMs: c.webhookFailingProbeMs,
      failingProbeMaxMs: c.webhookFailingProbeMaxMs,
      ...extra,
    },
    createLogger('silent'),
  );
}
