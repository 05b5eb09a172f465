import { afterAll, beforeAll, expect } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { DeliveryDispatcher } from '../../src/modules/webhooks/delivery/dispatcher.js';
import type { DispatcherConfig } from '../../src/modules/webhooks/delivery/dispatcher-config.js';
import type { TestContext, TestMerchant } from './app.js';
import { eventually, startReceiver } from './receiver.js';

// The load the webhook tests share: an endpoint subscribed for a merchant (or a failing one, to be backed
// off), and transfers of 1 Star from the merchant's funded `payer`, one after another, each answered 200.

/** Subscribes an endpoint at `url` for `m`; its id. */
export async function subscribe(t: TestContext, m: TestMerchant, url: string): Promise<string> {
  const { endpoint } = await t.app.services.webhooks.create(
    { merchantId: m.merchantId, mode: 'test' },
    { url },
  );
  return endpoint.id;
}

/** An endpoint's deliveries counted by status, last error and whether a worker leases them, in that order. */
export async function deliveryStates(t: TestContext, endpointId: string) {
  const r = await t.app.pool.query<{ status: string; last_error: string | null; leased: boolean; n: number }>(
    `select status, last_error, lease_owner is not null as leased, count(*)::int as n
     from webhook_deliveries where endpoint_id = $1 group by 1, 2, 3 order by 1, 2, 3`,
    [endpointId],
  );
  return r.rows;
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

/**
 * A receiver that holds every answer until the test gives it (`answers[i](status)`, in the order the requests
 * came); it goes into `receivers`, for the test file to close.
 */
export async function holdingReceiver(receivers: Receiver[]) {
  const r = await startReceiver();
  receivers.push(r);
  const answers: ((status: number) => void)[] = [];
  r.setResponder(() => new Promise<number>((resolve) => answers.push(resolve)));
  return { r, answers };
}

/**
 * An endpoint of a new merchant with seven deliveries, in an app whose per-endpoint cap is 4: four in flight,
 * unanswered (`answers` answers them), the other three claimed by the worker and queued behind them.
 */
export async function fourInFlightThreeQueued(t: TestContext, receivers: Receiver[]) {
  const m = await t.merchant();
  await t.credit(m, 'payer', '1000');
  const { r, answers } = await holdingReceiver(receivers);
  const endpointId = await subscribe(t, m, r.url);
  const states = () => deliveryStates(t, endpointId);
  const statesAre = async (want: unknown) =>
    JSON.stringify(await states()) === JSON.stringify(want) ? true : null;
  await payerTransfers(t, m, 7);
  await eventually(async () =>
    r.received.length === 4 ? statesAre([{ status: 'pending', last_error: null, leased: true, n: 7 }]) : null,
  );
  /**
   * After the endpoint's disable: the three queued fail unsent with its reason while the four in flight wait;
   * answered 200, those four succeed, and nothing more reaches the receiver.
   */
  const queuedFailUnsent = async () => {
    const closed = { status: 'failed', last_error: 'endpoint disabled by the merchant', leased: false, n: 3 };
    await eventually(() => statesAre([closed, { status: 'pending', last_error: null, leased: true, n: 4 }]));
    for (const answer of answers) answer(200);
    await eventually(async () => ((await states()).some((s) => s.status === 'pending') ? null : true));
    expect(await states()).toEqual([closed, { status: 'succeeded', last_error: null, leased: false, n: 4 }]);
    expect(r.received.length).toBe(4);
  };
  return { m, endpointId, queuedFailUnsent };
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

/**
 * For a test file whose dispatchers are its own (their caps and lease its choice, no BullMQ mirror of retries
 * waking them, which could do a missing wake-up's work): stops the app's dispatcher before the file's tests,
 * and returns a maker of dispatchers (anotherDispatcher) that are stopped after them unless a test stopped
 * them (`stopped`).
 */
export function useOwnDispatchers(t: TestContext) {
  const made = new Set<DeliveryDispatcher>();
  beforeAll(async () => {
    await t.app.workers!.webhooks.dispatcher.stop();
  });
  afterAll(async () => {
    for (const d of made) await d.stop();
  });
  return {
    dispatcher(perEndpoint: number, extra: Partial<DispatcherConfig> = {}): DeliveryDispatcher {
      const d = anotherDispatcher(t, perEndpoint, extra);
      made.add(d);
      return d;
    },
    async stop(d: DeliveryDispatcher): Promise<void> {
      made.delete(d);
      await d.stop();
    },
  };
}
